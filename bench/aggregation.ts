/**
 * Issue 3's figures: UPGrad and MGDA weightings on m × m Gramians, and every aggregator on a
 * 4 × 100000 Jacobian against Mean.
 */
import * as tf from '@tensorflow/tfjs';
import * as aggregation from '../lib/aggregation';
import type { Aggregator } from '../lib/aggregation';
import { timeMs, type BenchOptions, type BenchRow } from './common';

/** One instance of every aggregator with its default options (Constant gets uniform weights). */
function everyAggregator(m: number): Record<string, Aggregator> {
  const instances: Record<string, Aggregator> = {};
  for (const [name, value] of Object.entries(aggregation)) {
    if (typeof value !== 'function' || !(value.prototype instanceof aggregation.Aggregator))
      continue;
    if (['WeightedAggregator', 'GramianWeightedAggregator'].includes(name)) continue;
    const Ctor = value as unknown as new (...args: unknown[]) => Aggregator;
    instances[name] = name === 'Constant' ? new Ctor(new Array(m).fill(1 / m)) : new Ctor();
  }
  return instances;
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const repeat = options.quick ? { warmup: 1, iters: 3 } : { warmup: 2, iters: 10 };
  const targets: Record<number, number> = { 64: 10, 128: 60 };
  for (const m of [2, 8, 32, 64, 128]) {
    const gramian = tf.tidy(() => {
      const J = tf.randomNormal([m, 1000], 0, 1, 'float32', m);
      return tf.matMul(J, J, false, true) as tf.Tensor2D;
    });
    for (const [name, weighting] of [
      ['UPGradWeighting', new aggregation.UPGradWeighting()],
      ['MGDAWeighting', new aggregation.MGDAWeighting()],
    ] as const) {
      const ms = timeMs(() => weighting.apply(gramian).dataSync(), repeat);
      const target = name === 'UPGradWeighting' ? targets[m] : undefined;
      rows.push({
        figure: `${name}, m=${m}`,
        value: ms,
        unit: 'ms',
        ...(target === undefined ? {} : { target: { max: target } }),
      });
    }
    gramian.dispose();
  }

  const jacobian = tf.randomNormal([4, 100000], 0, 1, 'float32', 7) as tf.Tensor2D;
  const aggregators = everyAggregator(4);
  const times: Record<string, number> = {};
  for (const [name, aggregator] of Object.entries(aggregators)) {
    times[name] = timeMs(() => aggregator.apply(jacobian).dataSync(), repeat);
  }
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
  jacobian.dispose();
  return rows;
}
