/**
 * Fuzzing every aggregator, weighting and scalarizer with seeded random input: shapes (including
 * too few rows, zero columns, non-square Gramians), scales from 1e-8 to 1e8 (and beyond, to
 * overflow float32), NaN and ±∞ entries, zero and repeated rows, int32 and disposed tensors, and
 * random option values, valid and invalid; the loss-aware aggregators get random losses too
 * (positive, zero, tiny, huge, non-finite, negative, the wrong number of them). The contract checked on every call: it returns a
 * finite result of the right shape, or throws a `TfjsJdError` (never another error, never a NaN),
 * and `tf.memory().numTensors` is the same after each case as before it. The outcome counts are
 * printed at the end.
 */
import * as tf from '@tensorflow/tfjs';
import * as jd from '../../lib/index';
import { TfjsJdError } from '../../lib/errors';
import type { LossValues } from '../../lib/aggregation/loss_aware';
import { Rng } from '../aggregation/_matrices';
import { AGGREGATORS, LOSS_AWARE_AGGREGATORS, WEIGHTINGS } from '../aggregation/_all_methods';
import { disposeScalarizer, SCALARIZERS } from '../scalarization/_all_scalarizers';

const CASES_PER_AGGREGATOR = 80;
/**
 * CAGrad's solver (lib/linalg/solvers/cagrad.ts) runs to its 5000 iterations on rank-deficient
 * input (m > n), up to about 0.2 s a call: fewer cases keep the spec fast.
 */
const CASES_FOR_SLOW: Record<string, number> = { CAGrad: 20 };
const CASES_PER_WEIGHTING = 60;
const CASES_PER_LOSS_AWARE = 80;
const CASES_PER_SCALARIZER = 60;

/** Outcome name → count, over all the calls made. */
const outcomes = new Map<string, number>();
/** Calls that broke the contract, described; must stay empty. */
const failures: string[] = [];
let cases = 0;
let calls = 0;

/** Outcome counts per family (aggregators, weightings, scalarizers), for the printed summary. */
const perFamily = new Map<string, Map<string, number>>();
let family = '';

function count(outcome: string): void {
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const counts = perFamily.get(family) ?? new Map<string, number>();
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  perFamily.set(family, counts);
}

/**
 * Runs `fn` and records its outcome; returns its result when it did not throw. Constructions
 * (`stage` 'construct') are counted apart from calls: 'built' or the error's name.
 */
function attempt<T>(
  what: string,
  fn: () => T,
  stage: 'construct' | 'call' = 'call',
): T | undefined {
  const prefix = stage === 'construct' ? 'construct: ' : '';
  if (stage === 'call') calls++;
  try {
    const result = fn();
    count(stage === 'construct' ? `${prefix}built` : 'returned');
    return result;
  } catch (error) {
    if (error instanceof TfjsJdError) {
      count(`${prefix}${error.name}`);
      return undefined;
    }
    count(`${prefix}other error`);
    failures.push(`${what}: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
    return undefined;
  }
}

/** Checks that a returned tensor is finite with the expected shape, then disposes it. */
function checkResult(what: string, result: tf.Tensor, shape: number[]): void {
  const values = result.dataSync();
  if (!tf.util.arraysEqual(result.shape, shape)) {
    failures.push(`${what}: shape [${result.shape}], expected [${shape}]`);
  }
  if (!Array.from(values).every(Number.isFinite)) {
    failures.push(`${what}: non-finite result ${Array.from(values).slice(0, 6)}`);
  }
  result.dispose();
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng.next() * items.length)];
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
const chance = (rng: Rng, p: number) => rng.next() < p;

/** A scale 10^k with k uniform in [−8, 8], sometimes far beyond (to overflow float32). */
function scale(rng: Rng): number {
  if (chance(rng, 0.05)) return pick(rng, [1e20, 1e30, 1e-30]);
  return 10 ** (rng.next() * 16 - 8);
}

/** A random m × n matrix: scaled normals, sometimes with zero or repeated rows or bad entries. */
function randomRows(rng: Rng, m: number, n: number): number[][] {
  const s = scale(rng);
  const rows = rng.normals(m, n).map((row) => row.map((v) => v * s));
  if (m > 1 && chance(rng, 0.15)) rows[int(rng, 1, m - 1)] = [...rows[0]]; // rank-deficient
  if (chance(rng, 0.1)) rows[int(rng, 0, m - 1)] = new Array<number>(n).fill(0);
  if (chance(rng, 0.05)) rows.forEach((row) => row.fill(0));
  if (n > 0 && chance(rng, 0.15)) {
    rows[int(rng, 0, m - 1)][int(rng, 0, n - 1)] = pick(rng, [NaN, Infinity, -Infinity]);
  }
  return rows;
}

/** A tensor of `rows`, sometimes int32, sometimes already disposed. */
function matrixTensor(rng: Rng, rows: number[][], n: number): tf.Tensor2D {
  const shape: [number, number] = [rows.length, n];
  if (chance(rng, 0.03)) {
    return tf.tensor2d(
      rows.flat().map((v) => (Number.isFinite(v) ? Math.round(v) : 0)),
      shape,
      'int32',
    );
  }
  const t = tf.tensor2d(rows.flat(), shape);
  if (chance(rng, 0.02)) t.dispose();
  return t;
}

/** A vector option of about `m` entries: sometimes the wrong length, negative or NaN entries. */
function vectorOption(rng: Rng, m: number): number[] {
  const length = chance(rng, 0.15) ? Math.max(0, m + pick(rng, [-1, 1, 2])) : m;
  const v = Array.from({ length }, () => rng.next() * 2);
  if (length > 0 && chance(rng, 0.1)) v[0] = pick(rng, [NaN, -1, Infinity]);
  return v;
}

const numberOption = (rng: Rng, valid: number[], invalid: unknown[] = [-1, NaN, Infinity]) =>
  chance(rng, 0.85) ? pick(rng, valid) : pick(rng, invalid);

/** Random options for each aggregator (and its weighting), valid most of the time. */
function randomAggregator(rng: Rng, name: string, m: number): jd.Aggregator {
  const maybe = <T>(value: T) => (chance(rng, 0.5) ? value : undefined);
  switch (name) {
    case 'UPGrad':
    case 'DualProj': {
      const options = {
        prefVector: maybe(vectorOption(rng, m)),
        normEps: maybe(numberOption(rng, [0, 1e-8, 1e-4, 1]) as number),
        regEps: maybe(numberOption(rng, [0, 1e-8, 1e-4, 1]) as number),
      };
      return name === 'UPGrad' ? new jd.UPGrad(options) : new jd.DualProj(options);
    }
    case 'MGDA':
      return new jd.MGDA({
        epsilon: maybe(numberOption(rng, [1e-6, 1e-3, 0.5], [0, -1, NaN]) as number),
        maxIters: maybe(numberOption(rng, [1, 10, 100], [0, 1.5, -3]) as number),
      });
    case 'CAGrad':
      return new jd.CAGrad({
        c: numberOption(rng, [0, 0.1, 0.5, 1, 10]) as number,
        normEps: maybe(numberOption(rng, [0, 1e-4]) as number),
      });
    case 'PCGrad':
      return new jd.PCGrad({ seed: numberOption(rng, [0, 1, 42], [1.5]) as number });
    case 'GradVac':
      return new jd.GradVac({
        beta: maybe(numberOption(rng, [0, 0.5, 1], [1.5, -0.1, NaN]) as number),
        eps: maybe(numberOption(rng, [0, 1e-8, 1]) as number),
        seed: 0,
      });
    case 'AlignedMTL':
      return new jd.AlignedMTL({
        prefVector: maybe(vectorOption(rng, m)),
        scaleMode: maybe(pick(rng, ['min', 'median', 'rmse', 'max'] as const)) as never,
      });
    case 'ConFIG':
      return new jd.ConFIG({ prefVector: maybe(vectorOption(rng, m)) });
    case 'GradDrop':
      return new jd.GradDrop({ leak: maybe(vectorOption(rng, m)), seed: 0 });
    case 'Krum':
      return new jd.Krum({
        nByzantine: numberOption(rng, [0, 1, 2], [-1, 1.5]) as number,
        nSelected: maybe(numberOption(rng, [1, 2, m], [0, m + 5]) as number),
      });
    case 'TrimmedMean':
      return new jd.TrimmedMean({ trimNumber: numberOption(rng, [0, 1, 2], [-1, 0.5]) as number });
    case 'Constant':
      return new jd.Constant(vectorOption(rng, m));
    case 'Random':
      return new jd.Random({ seed: int(rng, 0, 100) });
    case 'NashMTL':
      return new jd.NashMTL({
        nTasks: chance(rng, 0.9) ? m : m + 1,
        maxNorm: maybe(numberOption(rng, [0, 1, 10]) as number),
        updateWeightsEvery: maybe(numberOption(rng, [1, 2], [0, 1.5]) as number),
        optimNiter: maybe(numberOption(rng, [1, 5, 20], [0]) as number),
      });
    case 'FairGrad':
      return new jd.FairGrad({
        alpha: numberOption(rng, [0, 0.5, 1, 2]) as number,
        maxIters: maybe(numberOption(rng, [5, 50], [0, 2.5]) as number),
      });
    case 'ExcessMTL':
      return new jd.ExcessMTL({
        robustStepSize: maybe(numberOption(rng, [0.1, 1, 1e6], [0, -1, NaN]) as number),
        nWarmupSteps: maybe(numberOption(rng, [0, 1, 2], [-1, 0.5]) as number),
      });
    default:
      return AGGREGATORS.find((c) => c.name === name)!.make(m);
  }
}

/** Frees the state a method owns (ExcessMTL keeps an m × n tensor) through its `reset()`. */
function release(method: object): void {
  const reset = (method as { reset?: () => void }).reset;
  if (typeof reset === 'function') reset.call(method);
}

/** Runs one case: `body` gets the rng; the tensors it leaves must be none. */
function runCase(what: string, body: () => void): void {
  cases++;
  const before = tf.memory().numTensors;
  body();
  const after = tf.memory().numTensors;
  if (after !== before) failures.push(`${what}: ${after - before} tensor(s) leaked`);
}

describe('fuzz', () => {
  afterAll(() => {
    const format = (counts: Map<string, number>) =>
      [...counts].map(([k, v]) => `${k} ${v}`).join(', ');
    const families = [...perFamily].map(([f, counts]) => `  ${f}: ${format(counts)}`).join('\n');
    // The numbers the issue asks for; printed once.
    // eslint-disable-next-line no-console
    console.log(`fuzz: ${cases} cases, ${calls} calls: ${format(outcomes)}\n${families}`);
  });

  it.each(AGGREGATORS.map((c) => [c.name, c] as const))(
    '%s returns a finite vector or throws a TfjsJdError, leaking nothing',
    (name, c) => {
      family = 'aggregators';
      const rng = new Rng(1000 + name.length * 31 + name.charCodeAt(0));
      for (let k = 0; k < (CASES_FOR_SLOW[name] ?? CASES_PER_AGGREGATOR); k++) {
        runCase(`${name} case ${k}`, () => {
          const m = chance(rng, 0.1) ? int(rng, 1, c.minRows + 1) : int(rng, c.minRows, 8);
          const aggregator = attempt(
            `${name} options, case ${k}`,
            () => randomAggregator(rng, name, m),
            'construct',
          );
          if (aggregator === undefined) return;
          // Stateful methods get a few calls on the same instance.
          for (let call = 0; call < int(rng, 1, 3); call++) {
            const n = chance(rng, 0.05) ? 0 : int(rng, 1, 12);
            const rowsHere = chance(rng, 0.05) ? m + 1 : m;
            const matrix = matrixTensor(rng, randomRows(rng, rowsHere, n), n);
            const what = `${name} case ${k} call ${call} [${rowsHere}×${n}]`;
            const result = attempt(what, () => aggregator.apply(matrix));
            if (result !== undefined) checkResult(what, result, [n]);
            if (!matrix.isDisposed) matrix.dispose();
          }
          release(aggregator);
        });
      }
    },
  );

  it.each(LOSS_AWARE_AGGREGATORS.map((c) => [c.name, c] as const))(
    '%s.applyWithLosses returns a finite vector or throws a TfjsJdError, leaking nothing',
    (name) => {
      family = 'loss-aware aggregators';
      const rng = new Rng(4000 + name.length * 23 + name.charCodeAt(0));
      for (let k = 0; k < CASES_PER_LOSS_AWARE; k++) {
        runCase(`${name} case ${k}`, () => {
          const m = int(rng, 1, 6);
          const aggregator = attempt(
            `${name} options, case ${k}`,
            () => randomLossAware(rng, name),
            'construct',
          );
          if (aggregator === undefined) return;
          // Several calls on the same instance: its state must survive the rejected ones.
          for (let call = 0; call < int(rng, 2, 5); call++) {
            const n = chance(rng, 0.05) ? 0 : int(rng, 1, 10);
            const rowsHere = chance(rng, 0.03) ? 0 : chance(rng, 0.05) ? m + 1 : m;
            const matrix =
              rowsHere === 0
                ? (tf.zeros([0, n]) as tf.Tensor2D)
                : matrixTensor(rng, randomRows(rng, rowsHere, n), n);
            const { losses, what: kind } = randomLosses(rng, rowsHere);
            const what = `${name} case ${k} call ${call} [${rowsHere}×${n}] losses ${kind}`;
            const result = attempt(what, () => aggregator.applyWithLosses(matrix, losses));
            if (result !== undefined) checkResult(what, result, [n]);
            if (!matrix.isDisposed) matrix.dispose();
            tf.dispose(losses as tf.Tensor);
          }
          release(aggregator);
        });
      }
    },
  );

  it.each(WEIGHTINGS.map((c) => [c.name, c] as const))(
    '%s returns finite weights or throws a TfjsJdError, leaking nothing',
    (name, c) => {
      family = 'weightings';
      const rng = new Rng(2000 + name.length * 17 + name.charCodeAt(1));
      for (let k = 0; k < CASES_PER_WEIGHTING; k++) {
        runCase(`${name} case ${k}`, () => {
          const m = chance(rng, 0.1) ? int(rng, 1, c.minRows + 1) : int(rng, c.minRows, 7);
          const weighting = attempt(`${name} make`, () => c.make(m), 'construct');
          if (weighting === undefined) return;
          for (let call = 0; call < int(rng, 1, 3); call++) {
            const n = int(rng, 1, 10);
            const rows = randomRows(rng, m, n);
            let input: tf.Tensor2D;
            if (c.input === 'matrix') {
              input = matrixTensor(rng, rows, n);
            } else {
              // J Jᵀ (or J₁ J₂ᵀ) in float64, then sometimes a poisoned or non-square one.
              const other = c.input === 'square' ? randomRows(rng, m, n) : rows;
              let g = rows.map((r) => other.map((o) => r.reduce((s, v, j) => s + v * o[j], 0)));
              if (chance(rng, 0.05)) g = g.map((row) => [...row, 1]);
              if (chance(rng, 0.1)) g[0][0] = pick(rng, [NaN, Infinity, -Infinity]);
              input = matrixTensor(rng, g, g[0].length);
            }
            const what = `${name} case ${k} call ${call} [${input.shape}]`;
            const result = attempt(what, () => weighting.apply(input));
            if (result !== undefined) checkResult(what, result, [m]);
            if (!input.isDisposed) input.dispose();
          }
          release(weighting);
        });
      }
    },
  );

  it.each(SCALARIZERS.map((c) => [c.name, c] as const))(
    '%s returns a finite scalar or throws a TfjsJdError, leaking nothing',
    (name, c) => {
      family = 'scalarizers';
      const rng = new Rng(3000 + name.length * 13 + name.charCodeAt(0));
      for (let k = 0; k < CASES_PER_SCALARIZER; k++) {
        runCase(`${name} case ${k}`, () => {
          const shape = chance(rng, 0.7) ? [int(rng, 1, 6)] : [int(rng, 1, 4), int(rng, 1, 4)];
          const scalarizer = attempt(
            `${name} options, case ${k}`,
            () => randomScalarizer(rng, name, shape, c.make),
            'construct',
          );
          if (scalarizer === undefined) return;
          for (let call = 0; call < int(rng, 1, 4); call++) {
            const here = chance(rng, 0.05) ? [shape[0] + 1, ...shape.slice(1)] : shape;
            const size = here.reduce((a, b) => a * b, 1);
            const s = scale(rng);
            const values = Array.from({ length: size }, () => {
              const v = rng.normal() * s;
              return c.positiveLosses && chance(rng, 0.95) ? Math.abs(v) + 1e-3 : v;
            });
            if (chance(rng, 0.15))
              values[int(rng, 0, size - 1)] = pick(rng, [NaN, Infinity, -Infinity]);
            const losses = tf.tensor(values, here);
            if (chance(rng, 0.02)) losses.dispose();
            const what = `${name} case ${k} call ${call} [${here}]`;
            const result = attempt(what, () => scalarizer.apply(losses));
            if (result !== undefined) checkResult(what, result, []);
            if (name === 'DWA' && chance(rng, 0.5)) (scalarizer as jd.scalarization.DWA).step();
            if (name === 'FAMO' && result !== undefined && !losses.isDisposed) {
              const after = tf.tidy(() => tf.mul(losses, 0.9));
              attempt(`${what} update`, () => (scalarizer as jd.scalarization.FAMO).update(after));
              after.dispose();
            }
            if (!losses.isDisposed) losses.dispose();
          }
          disposeScalarizer(scalarizer);
        });
      }
    },
  );

  it('broke the contract nowhere, and exercised both outcomes', () => {
    expect(failures).toEqual([]);
    const lossAware = perFamily.get('loss-aware aggregators')!;
    expect(lossAware.get('returned')).toBeGreaterThan(300);
    expect(lossAware.get('InvalidArgumentError')).toBeGreaterThan(100);
    expect(lossAware.get('NumericalError')).toBeGreaterThan(5);
    expect(lossAware.get('construct: InvalidArgumentError')).toBeGreaterThan(10);
    expect(outcomes.get('returned')).toBeGreaterThan(1000);
    expect(outcomes.get('InvalidArgumentError')).toBeGreaterThan(300);
    expect(outcomes.get('NumericalError')).toBeGreaterThan(10);
    expect(outcomes.get('construct: InvalidArgumentError')).toBeGreaterThan(50);
  });
});

/** Random options for each scalarizer, valid most of the time. */
function randomScalarizer(
  rng: Rng,
  name: string,
  shape: number[],
  make: (shape: number[]) => jd.scalarization.Scalarizer,
): jd.scalarization.Scalarizer {
  const size = shape.reduce((a, b) => a * b, 1);
  const option = () => {
    const values = vectorOption(rng, size);
    if (shape.length === 1 || values.length !== size) return values;
    return Array.from({ length: shape[0] }, (_, i) =>
      values.slice(i * shape[1], (i + 1) * shape[1]),
    );
  };
  const maybe = <T>(value: T) => (chance(rng, 0.5) ? value : undefined);
  const s = jd.scalarization;
  switch (name) {
    case 'STCH':
      return new s.STCH({
        mu: numberOption(rng, [1e-8, 0.01, 0.1, 1, 10], [0, -1, NaN]) as number,
        weights: maybe(option()),
        reference: maybe(option()),
      });
    case 'PBI':
      return new s.PBI({
        theta: numberOption(rng, [0, 1, 5]) as number,
        weights: chance(rng, 0.05) ? new Array<number>(size).fill(0) : option(),
        reference: maybe(option()),
      });
    case 'COSMOS':
      return new s.COSMOS({
        lambda: numberOption(rng, [0, 0.01, 1, 8]) as number,
        weights: option(),
      });
    case 'FAMO':
      return new s.FAMO({
        shape: chance(rng, 0.95) ? shape : [size + 1],
        minLosses: maybe(chance(rng, 0.5) ? option() : new Array<number>(size).fill(0)) as never,
        lr: maybe(numberOption(rng, [0, 0.025, 1]) as number),
        weightDecay: maybe(numberOption(rng, [0, 1e-3]) as number),
      });
    case 'DWA':
      return new s.DWA({ temperature: maybe(numberOption(rng, [0.5, 2, 100], [0, -1]) as number) });
    case 'Constant':
      return new s.Constant(option());
    case 'Random':
      return new s.Random({ seed: int(rng, 0, 100) });
    default:
      return make(shape);
  }
}

/** Random options for each loss-aware aggregator, valid most of the time. */
function randomLossAware(rng: Rng, name: string): jd.LossAwareAggregator {
  if (chance(rng, 0.03)) {
    // Untyped JavaScript: options that are not an object.
    const bad = pick(rng, [null, 5, 'fast', [1]]) as never;
    return new (
      LOSS_AWARE_AGGREGATORS.find((c) => c.name === name)!.cls as new (
        o: never,
      ) => jd.LossAwareAggregator
    )(bad);
  }
  const maybe = <T>(value: T) => (chance(rng, 0.5) ? value : undefined);
  switch (name) {
    case 'GradNorm':
      return new jd.GradNorm({
        alpha: maybe(numberOption(rng, [0, 0.5, 1.5, 3]) as number),
        lr: maybe(numberOption(rng, [1e-3, 0.025, 0.1, 1, 1e3], [0, -1, NaN, Infinity]) as number),
        parametrization: maybe(
          pick(rng, ['renormalize', 'softmax', 'softmax', 'exp'] as const),
        ) as never,
      });
    case 'MoCo':
      return new jd.MoCo({
        beta: maybe(numberOption(rng, [0.1, 0.5, 1], [0, 1.5, NaN]) as number),
        betaSigma: maybe(numberOption(rng, [0, 0.5, 1]) as number),
        gamma: maybe(numberOption(rng, [0.01, 0.1, 1, 1e3], [0, -1, Infinity]) as number),
        gammaSigma: maybe(numberOption(rng, [0, 0.5]) as number),
        rho: maybe(numberOption(rng, [0, 0.1, 1]) as number),
        simplex: maybe(
          pick(rng, ['projection', 'softmax', 'softmax', 'sparsemax'] as const),
        ) as never,
        lossScaled: maybe(pick(rng, [true, false, false, 1])) as never,
      });
    case 'DBMTL':
      return new jd.DBMTL({
        beta: maybe(numberOption(rng, [0, 0.5, 0.9, 0.99], [1, -0.1, NaN]) as number),
        betaSigma: maybe(numberOption(rng, [0, 0.5, 1]) as number),
      });
    case 'IMTL':
      return new jd.IMTL({
        lr: maybe(numberOption(rng, [0.01, 0.1, 1, 10], [0, -1, NaN, Infinity]) as number),
      });
    default:
      throw new Error(`no random options for ${name}`);
  }
}

/**
 * Random losses for `m` rows: positive, zero, tiny, huge or mixed, sometimes with a NaN, ±∞ or
 * negative entry, sometimes one too few or too many; as an array, a tensor (sometimes disposed,
 * sometimes of rank 2) or a list of scalar tensors. The caller disposes what is returned.
 */
function randomLosses(rng: Rng, m: number): { losses: LossValues; what: string } {
  const length = chance(rng, 0.08) ? Math.max(0, m + pick(rng, [-1, 1])) : m;
  const kind = pick(rng, ['positive', 'positive', 'positive', 'zero', 'tiny', 'huge', 'mixed']);
  const values = Array.from({ length }, () => {
    const u = rng.next() + 1e-3;
    switch (kind) {
      case 'zero':
        return 0;
      case 'tiny':
        return u * pick(rng, [1e-30, 1e-12, 1e-300]);
      case 'huge':
        return u * pick(rng, [1e12, 1e30, 1e300]);
      case 'mixed':
        return u * 10 ** (rng.next() * 40 - 20);
      default:
        return u * 3;
    }
  });
  let what = `${kind}×${length}`;
  if (length > 0 && chance(rng, 0.1)) {
    values[int(rng, 0, length - 1)] = pick(rng, [NaN, Infinity, -Infinity]);
    what += ' non-finite';
  }
  if (length > 0 && chance(rng, 0.05)) {
    values[int(rng, 0, length - 1)] = -1;
    what += ' negative';
  }
  const form = rng.next();
  if (form < 0.6) return { losses: values, what };
  if (form < 0.75) return { losses: values.map((v) => tf.scalar(v)), what: `${what} scalars` };
  if (form < 0.78 && length > 0)
    return { losses: tf.tensor2d(values, [1, length]), what: `${what} rank 2` };
  const tensor = tf.tensor1d(values);
  if (chance(rng, 0.04)) {
    tensor.dispose();
    return { losses: tensor, what: `${what} disposed` };
  }
  return { losses: tensor, what: `${what} tensor` };
}
