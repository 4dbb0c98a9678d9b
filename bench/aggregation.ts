/**
 * Aggregation figures: the UPGrad and MGDA weightings on `m × m` Gramians of random `m × 1000`
 * matrices (targets for UPGrad: m = 64 in ≤ 10 ms, m = 128 in ≤ 60 ms), and every aggregator on a
 * 4 × 100000 Jacobian as a ratio to `Mean` (target ≤ 3: the m × m work must stay negligible next to
 * the two passes over J that any weighted aggregator makes).
 */
import * as tf from '@tensorflow/tfjs';
import type { Aggregator } from '../lib/aggregation/aggregator_bases';
import { MGDAWeighting } from '../lib/aggregation/mgda';
import { UPGradWeighting } from '../lib/aggregation/upgrad';
import { STEADY, timeInterleaved, timeMs, type BenchOptions, type BenchRow } from './common';

/** The rows of the Jacobian of the ratio figures. */
const OBJECTIVES = 4;

/**
 * Each aggregator's file, class and the options it needs for 4 rows (the defaults where it has
 * them). Files are loaded one by one so that a method not written yet is skipped, not fatal.
 */
const AGGREGATORS: [file: string, className: string, options: unknown[]][] = [
  ['mean', 'Mean', []],
  ['sum', 'Sum', []],
  ['constant', 'Constant', [new Array<number>(OBJECTIVES).fill(1 / OBJECTIVES)]],
  ['random', 'Random', [{ seed: 0 }]],
  ['upgrad', 'UPGrad', []],
  ['dualproj', 'DualProj', []],
  ['mgda', 'MGDA', []],
  ['krum', 'Krum', [{ nByzantine: 1, nSelected: 1 }]],
  ['trimmed_mean', 'TrimmedMean', [{ trimNumber: 1 }]],
  ['pcgrad', 'PCGrad', [{ seed: 0 }]],
  ['gradvac', 'GradVac', [{ seed: 0 }]],
  ['graddrop', 'GradDrop', [{ seed: 0 }]],
  ['imtl_g', 'IMTLG', []],
  ['aligned_mtl', 'AlignedMTL', []],
  ['config', 'ConFIG', []],
  ['cagrad', 'CAGrad', [{ c: 0.5 }]],
  ['nash_mtl', 'NashMTL', [{ nTasks: OBJECTIVES }]],
  ['fairgrad', 'FairGrad', [{ alpha: 1 }]],
  ['excess_mtl', 'ExcessMTL', []],
];

type AggregatorClass = new (...options: unknown[]) => Aggregator;
interface Resettable {
  reset(): void;
}

/** The aggregator `className` of `lib/aggregation/<file>.ts`, or undefined if it is missing. */
function loadAggregator(
  file: string,
  className: string,
  options: unknown[],
): Aggregator | undefined {
  let module: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module, loaded lazily
    module = require(`../lib/aggregation/${file}`) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const Class = module[className];
  if (typeof Class !== 'function') return undefined;
  return new (Class as AggregatorClass)(...options);
}

/** Weighting time on the Gramian of a random `m × 1000` matrix, for each m. */
function weightingRows(repeat: { warmup: number; iters: number }): BenchRow[] {
  const rows: BenchRow[] = [];
  const targets: Record<number, number> = { 64: 10, 128: 60, 256: 100 };
  for (const m of [2, 8, 32, 64, 128, 256]) {
    const gramian = tf.tidy(() => {
      const J = tf.randomNormal([m, 1000], 0, 1, 'float32', m);
      return tf.matMul(J, J, false, true) as tf.Tensor2D;
    });
    const weightings = [
      ['UPGradWeighting', new UPGradWeighting(), targets[m]],
      ['MGDAWeighting', new MGDAWeighting(), undefined],
    ] as const;
    for (const [name, weighting, target] of weightings) {
      const ms = timeMs(() => weighting.apply(gramian).dataSync(), repeat);
      rows.push({
        figure: `${name}, m=${m}`,
        value: ms,
        unit: 'ms',
        ...(target === undefined ? {} : { target: { max: target } }),
      });
    }
    gramian.dispose();
  }
  return rows;
}

/** Every aggregator present on a 4 × 100000 Jacobian, in ms and as a ratio to `Mean`. */
function ratioRows(repeat: { warmup: number; iters: number }): BenchRow[] {
  const jacobian = tf.randomNormal([OBJECTIVES, 100000], 0, 1, 'float32', 7) as tf.Tensor2D;
  const steps: Record<string, () => unknown> = {};
  const loaded: Aggregator[] = [];
  for (const [file, className, options] of AGGREGATORS) {
    const aggregator = loadAggregator(file, className, options);
    if (aggregator === undefined) continue;
    loaded.push(aggregator);
    steps[className] = () => aggregator.apply(jacobian).dataSync();
  }
  // Interleaved, so that machine noise hits Mean and each aggregator alike.
  const times = timeInterleaved(steps, repeat);
  jacobian.dispose();
  // Stateful aggregators (ExcessMTL, NashMTL…) hold tensors until reset.
  for (const aggregator of loaded) (aggregator as Partial<Resettable>).reset?.();
  const rows: BenchRow[] = [];
  for (const [name, ms] of Object.entries(times)) {
    rows.push({ figure: `${name} on 4×100000`, value: ms, unit: 'ms' });
    if (name !== 'Mean') {
      rows.push({
        figure: `${name} / Mean on 4×100000`,
        value: ms / times.Mean,
        unit: 'ratio',
        target: { max: 3 },
      });
    }
  }
  return rows;
}

/**
 * Runs the aggregation benchmarks on the current backend.
 *
 * @example
 * ```ts
 * const rows = await run({ quick: true, backend: tf.getBackend() });
 * ```
 */
export async function run(options: BenchOptions): Promise<BenchRow[]> {
  // A training loop calls its aggregator thousands of times: the figures are taken once V8 has
  // compiled the JavaScript paths (the QP solver, TrimmedMean, GradDrop, the NashMTL solver).
  const steady = options.quick ? { warmup: 1, iters: 3 } : STEADY;
  return [...weightingRows(steady), ...ratioRows(steady)];
}
