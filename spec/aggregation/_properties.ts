/**
 * Properties of aggregators, as TorchJD's tests state them (tests/unit/aggregation/_asserts.py).
 */
import * as tf from '@tensorflow/tfjs';
import type { Aggregator } from '../../lib/aggregation/aggregator_bases';
import { InvalidArgumentError } from '../../lib/errors';
import { Rng, type Rows } from './_matrices';

/** The aggregation of `rows` as float64 numbers, with no tensor left behind. */
export function aggregate(aggregator: Aggregator, rows: Rows): number[] {
  return tf.tidy(() => Array.from(aggregator.apply(tf.tensor2d(rows)).dataSync()));
}

const norm = (v: number[]) => Math.hypot(...v);
const times = (rows: Rows, v: number[]) => rows.map((r) => r.reduce((s, x, i) => s + x * v[i], 0));

function expectAllClose(actual: number[], expected: number[], atol: number, rtol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const allowed = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(a - expected[i]) <= allowed)) {
      throw new Error(`entry ${i}: ${a} vs expected ${expected[i]} (allowed ${allowed})`);
    }
  });
}

/** The output is a finite vector with one entry per column. */
export function assertExpectedStructure(aggregator: Aggregator, rows: Rows): void {
  const vector = aggregate(aggregator, rows);
  expect(vector.length).toBe(rows[0].length);
  expect(vector.every(Number.isFinite)).toBe(true);
}

/** `J · A(J) ≥ 0`: no objective gets worse to first order (up to tolerances on the norm). */
export function assertNonConflicting(
  aggregator: Aggregator,
  rows: Rows,
  atol = 4e-4,
  rtol = 4e-4,
): void {
  const products = times(rows, aggregate(aggregator, rows));
  const positive = products.filter((p) => p >= 0);
  expectAllClose([norm(positive)], [norm(products)], atol, rtol);
}

/** Permuting the rows does not change the aggregation. */
export function assertPermutationInvariant(
  aggregator: Aggregator,
  rows: Rows,
  atol = 1e-4,
  rtol = 1e-4,
): void {
  const rng = new Rng(1);
  const expected = aggregate(aggregator, rows);
  for (let run = 0; run < 5; run++) {
    const permuted = rng.permutation(rows.length).map((i) => rows[i]);
    expectAllClose(aggregate(aggregator, permuted), expected, atol, rtol);
  }
}

/** `A(diag(αc₁ + βc₂) J) = α A(diag(c₁) J) + β A(diag(c₂) J)` for non-negative c, α, β. */
export function assertLinearUnderScaling(
  aggregator: Aggregator,
  rows: Rows,
  atol = 1e-4,
  rtol = 1e-4,
): void {
  const rng = new Rng(2);
  const scale = (c: number[]) => rows.map((r, i) => r.map((x) => c[i] * x));
  for (let run = 0; run < 5; run++) {
    const c1 = rows.map(() => rng.next());
    const c2 = rows.map(() => rng.next());
    const alpha = rng.next();
    const beta = rng.next();
    const x1 = aggregate(aggregator, scale(c1));
    const x2 = aggregate(aggregator, scale(c2));
    const x = aggregate(aggregator, scale(c1.map((c, i) => alpha * c + beta * c2[i])));
    expectAllClose(
      x,
      x1.map((v, i) => alpha * v + beta * x2[i]),
      atol,
      rtol,
    );
  }
}

/** On a matrix that is not strongly stationary, the aggregation is not zero. */
export function assertStronglyStationary(
  aggregator: Aggregator,
  rows: Rows,
  threshold = 1e-4,
): void {
  // Relative to ‖J‖_F, and far above float32 round-off (≈1e-7 ‖J‖_F) that a zero result would show:
  // our fixtures' singular values are not TorchJD's, so its absolute 5e-3 does not carry over.
  expect(norm(aggregate(aggregator, rows))).toBeGreaterThan(threshold * norm(rows.flat()));
}

/** `run` leaves `tf.memory().numTensors` unchanged after many calls. */
export function assertMemoryFlat(run: () => void, iterations = 100): void {
  run();
  const before = tf.memory().numTensors;
  for (let i = 0; i < iterations; i++) run();
  expect(tf.memory().numTensors).toBe(before);
}

/** Pre-hooks and hooks see the right arguments and output; removed hooks are not called. */
export function assertHooksCalled(aggregator: Aggregator, rows: Rows): void {
  const seen: string[] = [];
  const pre = aggregator.registerForwardPreHook((module, [matrix]) => {
    expect(module).toBe(aggregator);
    seen.push(`pre ${matrix.shape}`);
  });
  const post = aggregator.registerForwardHook((module, [matrix], output) => {
    expect(module).toBe(aggregator);
    seen.push(`post ${matrix.shape} → ${output.shape}`);
  });
  aggregate(aggregator, rows);
  pre.remove();
  post.remove();
  aggregate(aggregator, rows);
  const [m, n] = [rows.length, rows[0].length];
  expect(seen).toEqual([`pre ${m},${n}`, `post ${m},${n} → ${n}`]);
}

/** Not a matrix, NaN and Infinity are rejected with errors naming `matrix` (m = 0 gives zeros). */
export function assertBadInputRejected(aggregator: Aggregator): void {
  const cases: (() => tf.Tensor)[] = [
    () => tf.tensor1d([1, 2]),
    () => tf.tensor2d([[1, NaN]]),
    () => tf.tensor2d([[1, Infinity]]),
  ];
  for (const make of cases) {
    const input = make();
    expect(() => aggregator.apply(input as tf.Tensor2D)).toThrow(InvalidArgumentError);
    expect(() => aggregator.apply(input as tf.Tensor2D)).toThrow(/`matrix`/);
    input.dispose();
  }
  expect(() => aggregator.apply([[1, 2]] as unknown as tf.Tensor2D)).toThrow(/`matrix`/);
}
