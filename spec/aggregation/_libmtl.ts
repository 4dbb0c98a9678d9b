/**
 * The LibMTL reference runs of tools/reference/libmtl/generate.py (spec/fixtures/libmtl/*.json):
 * fixed Jacobians and losses fed to LibMTL's weighting classes over several steps, with the update
 * direction each step produced.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import type { LossAwareAggregator } from '../../lib/aggregation/loss_aware';
import { mtlGrads } from '../../lib/autojac';
import { InvalidArgumentError } from '../../lib/errors';
import { Rng } from './_matrices';
import { assertMemoryFlat } from './_properties';

export interface LibMTLStep {
  jacobian: number[][];
  losses: number[];
  direction: number[];
  weights: number[];
}

export interface LibMTLCase {
  name: string;
  kwargs: Record<string, number>;
  lr: number | null;
  steps: LibMTLStep[];
}

/** The cases of one fixture file (`gradnorm`, `moco`, `db_mtl`, `imtl`). */
export function libmtlCases(file: string): LibMTLCase[] {
  const text = fs.readFileSync(
    path.join(__dirname, '..', 'fixtures', 'libmtl', `${file}.json`),
    'utf8',
  );
  return (JSON.parse(text) as { cases: LibMTLCase[] }).cases;
}

/** One call of `applyWithLosses` as float64 numbers, with no tensor left behind. */
export function aggregateWithLosses(
  aggregator: LossAwareAggregator,
  rows: number[][],
  losses: number[],
): number[] {
  return tf.tidy(() =>
    Array.from(aggregator.applyWithLosses(tf.tensor2d(rows), losses).dataSync()),
  );
}

/**
 * Runs `aggregator` over the steps of `reference` and returns the largest error of its directions,
 * `|a − e| / (1 + |e|)` entry-wise, over all steps.
 */
export function maxErrorOverSteps(aggregator: LossAwareAggregator, reference: LibMTLCase): number {
  let worst = 0;
  for (const step of reference.steps) {
    const actual = aggregateWithLosses(aggregator, step.jacobian, step.losses);
    expect(actual.length).toBe(step.direction.length);
    actual.forEach((a, i) => {
      const e = step.direction[i];
      worst = Math.max(worst, Math.abs(a - e) / (1 + Math.abs(e)));
    });
  }
  return worst;
}

/**
 * Bad matrices and losses throw an `InvalidArgumentError` naming them, and leave the state as it
 * was: the call after them returns what it would have returned without them.
 */
export function assertRejectedBeforeStateChanges(
  make: () => LossAwareAggregator,
  rows: number[][],
  losses: number[],
): void {
  const reference = make();
  const tested = make();
  aggregateWithLosses(reference, rows, losses);
  aggregateWithLosses(tested, rows, losses);
  const n = rows[0].length;
  const badMatrices: [() => tf.Tensor, number[]][] = [
    [() => tf.tensor1d(rows.map((r) => r[0])), losses],
    [
      () => tf.tensor2d(rows.map((r, i) => r.map((x, j) => (i === 0 && j === 0 ? NaN : x)))),
      losses,
    ],
    [
      () => tf.tensor2d(rows.map((r, i) => r.map((x, j) => (i === 1 && j === 0 ? Infinity : x)))),
      losses,
    ],
  ];
  // No objective is not bad input: the zero vector, as every aggregator (and TorchJD) gives.
  const noRows = tf.zeros([0, n]) as tf.Tensor2D;
  const zeros = tested.applyWithLosses(noRows, []);
  expect(Array.from(zeros.dataSync())).toEqual(new Array<number>(n).fill(0));
  tf.dispose([noRows, zeros]);
  for (const [make, values] of badMatrices) {
    const input = make();
    expect(() => tested.applyWithLosses(input as tf.Tensor2D, values)).toThrow(
      InvalidArgumentError,
    );
    expect(() => tested.applyWithLosses(input as tf.Tensor2D, values)).toThrow(/`matrix`/);
    input.dispose();
  }
  const badLosses = [losses.map((l, i) => (i === 0 ? NaN : l)), losses.map(() => Infinity), [1]];
  const matrix = tf.tensor2d(rows);
  for (const bad of badLosses) {
    expect(() => tested.applyWithLosses(matrix, bad)).toThrow(/`losses`/);
  }
  expect(() => tested.apply(matrix)).toThrow(/`losses`.*applyWithLosses/);
  matrix.dispose();
  const next = rows.map((r) => r.map((x) => 0.9 * x + 0.1));
  const expected = aggregateWithLosses(reference, next, losses);
  const actual = aggregateWithLosses(tested, next, losses);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], 6));
}

/**
 * `tf.memory().numTensors` stays flat over many calls of `aggregator`, called directly and under
 * `mtlGrads` (which passes it the losses); its state is then released with `reset()`.
 */
export function assertMemoryFlatDirectlyAndUnderMtlGrads(
  aggregator: LossAwareAggregator & { reset(): void },
): void {
  const rows = new Rng(2).normals(2, 6);
  assertMemoryFlat(() => aggregateWithLosses(aggregator, rows, [1, 0.7]));
  const shared = tf.variable(tf.tensor1d([0.5, -1, 2]), true);
  const forward = () => {
    const features = tf.mul(shared, 2);
    return { features, losses: [tf.sum(tf.square(features)), tf.sum(tf.abs(features))] };
  };
  assertMemoryFlat(() => {
    const { losses, grads } = mtlGrads(forward, { aggregator });
    tf.dispose([losses, grads]);
  }, 30);
  aggregator.reset();
  shared.dispose();
}
