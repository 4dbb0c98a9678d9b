import * as tf from '@tensorflow/tfjs';
import { ExcessMTL, ExcessMTLWeighting } from '../../lib/aggregation/excess_mtl';
import { InvalidArgumentError, NumericalError } from '../../lib/errors';
import { fixtures, Rng, type Rows } from './_matrices';
import {
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
} from './_properties';

const { typical } = fixtures();
const weightsOf = (weighting: ExcessMTLWeighting, rows: Rows) =>
  tf.tidy(() => Array.from(weighting.apply(tf.tensor2d(rows)).dataSync()));
const expectClose = (actual: number[], expected: number[]) =>
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
/** Per-task excess risk Σ_j J_ij² / √(S_ij + 1e-7), recomputed here from the paper's Eq. 6–7. */
const excess = (rows: Rows, sum: Rows) =>
  rows.map((r, i) => r.reduce((s, v, j) => s + (v * v) / Math.sqrt(sum[i][j] + 1e-7), 0));
const square = (rows: Rows) => rows.map((r) => r.map((v) => v * v));
const add = (a: Rows, b: Rows) => a.map((r, i) => r.map((v, j) => v + b[i][j]));
const normalized = (v: number[]) => v.map((x) => x / v.reduce((s, y) => s + y, 0));

describe('ExcessMTL', () => {
  const j1 = [
    [2, 0],
    [1, 0],
  ];
  const j2 = [
    [1, 0],
    [2, 0],
  ];

  it('follows two exponentiated-gradient steps computed by hand', () => {
    // Call 1: excess = [2, 1] (the baseline, used raw); w = [½e², ½e] normalized.
    // Call 2: S = [[5, 0], [5, 0]], excess = [1/√5, 4/√5], divided by the baseline [2, 1].
    const weighting = new ExcessMTLWeighting();
    const w1 = normalized([Math.exp(2), Math.exp(1)]);
    expectClose(weightsOf(weighting, j1), w1);
    const scaled = [1 / Math.sqrt(5) / 2, 4 / Math.sqrt(5)];
    expectClose(weightsOf(weighting, j2), normalized(w1.map((w, i) => w * Math.exp(scaled[i]))));
  });

  it('is uniform during warm-up, then uses the average warm-up excess as baseline', () => {
    const weighting = new ExcessMTLWeighting({ nWarmupSteps: 2 });
    expectClose(weightsOf(weighting, j1), [0.5, 0.5]);
    expectClose(weightsOf(weighting, j2), [0.5, 0.5]);
    const s1 = square(j1);
    const s2 = add(s1, square(j2));
    const s3 = add(s2, square(j1));
    const e1 = excess(j1, s1);
    const e2 = excess(j2, s2);
    const baseline = e1.map((v, i) => (v + e2[i]) / 2);
    const e3 = excess(j1, s3).map((v, i) => v / (baseline[i] + 1e-7));
    expectClose(weightsOf(weighting, j1), normalized(e3.map((v) => 0.5 * Math.exp(v))));
  });

  it('stays on the simplex, restarts on a new shape and after reset()', () => {
    const rng = new Rng(3);
    const rows = rng.normals(4, 10);
    const weighting = new ExcessMTLWeighting();
    const first = weightsOf(weighting, rows);
    const second = weightsOf(weighting, rows);
    expect(second.every((w) => w >= 0)).toBe(true);
    expect(second.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 6);
    weighting.reset();
    expectClose(weightsOf(weighting, rows), first);
    const other = rng.normals(2, 10);
    expectClose(weightsOf(weighting, other), weightsOf(new ExcessMTLWeighting(), other));
  });

  it('does not overflow to NaN on huge excess risks', () => {
    const weighting = new ExcessMTLWeighting({ robustStepSize: 1e6 });
    weightsOf(weighting, j1);
    const w = weightsOf(weighting, [
      [1e6, 0],
      [1, 0],
    ]);
    expect(w.every(Number.isFinite)).toBe(true);
    expect(w[0]).toBeCloseTo(1, 6);
  });

  it('properties: structure, hooks, bad input, memory (state included)', () => {
    for (const rows of typical) assertExpectedStructure(new ExcessMTL(), rows);
    assertHooksCalled(new ExcessMTL(), typical[4]);
    assertBadInputRejected(new ExcessMTL());
    const matrix = tf.tensor2d(typical[5]);
    const aggregator = new ExcessMTL();
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    const before = tf.memory().numTensors;
    aggregator.reset(); // frees the m × n state tensor
    expect(tf.memory().numTensors).toBe(before - 1);
    matrix.dispose();
  });

  it('rejects NaN or ∞ from its risks without touching its state, and reports float32 overflow', () => {
    const aggregator = new ExcessMTL();
    const good = tf.tensor2d([
      [1, 2],
      [3, -1],
    ]);
    const reference = new ExcessMTL();
    tf.dispose([aggregator.apply(good), reference.apply(good)]);
    for (const bad of [NaN, Infinity]) {
      const J = tf.tensor2d([
        [1, bad],
        [3, -1],
      ]);
      expect(() => aggregator.apply(J)).toThrow(InvalidArgumentError);
      J.dispose();
    }
    // Finite, but squares overflow float32: a numerical error, not a bad argument.
    const huge = tf.tensor2d([
      [1e20, 2],
      [3, -1],
    ]);
    expect(() => aggregator.apply(huge)).toThrow(NumericalError);
    // The rejected calls left no trace: the next step is the reference's second step.
    const [a, b] = [aggregator.apply(good), reference.apply(good)];
    Array.from(a.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(b.dataSync()[i], 6));
    tf.dispose([a, b, good, huge]);
    aggregator.reset();
    reference.reset();
  });

  it('validates options like TorchJD', () => {
    expect(() => new ExcessMTL({ robustStepSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ExcessMTL({ robustStepSize: -1 })).toThrow(/`robustStepSize`/);
    expect(() => new ExcessMTL({ nWarmupSteps: -1 })).toThrow(/`nWarmupSteps`/);
    const aggregator = new ExcessMTL();
    aggregator.robustStepSize = 10;
    aggregator.nWarmupSteps = 100;
    expect(aggregator.weighting.robustStepSize).toBe(10);
    expect(aggregator.weighting.nWarmupSteps).toBe(100);
    expect(aggregator.toString()).toBe('ExcessMTL');
  });
});
