import * as tf from '@tensorflow/tfjs';
import { Constant, ConstantWeighting } from '../../lib/aggregation/constant';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures, randomMatrix, type Rows } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertLinearUnderScaling,
  assertMemoryFlat,
  assertStronglyStationary,
} from './_properties';

const { typical, scaled, nonStrong } = fixtures();
const J = [
  [-4, 1, 1],
  [6, 1, 1],
];
/** Positive weights, one per row: TorchJD builds its Constant fixtures the same way. */
const weightsFor = (rows: Rows) => rows.map((_, i) => 1 + i / rows.length);

describe('Constant', () => {
  it('combines the rows with the given weights', () => {
    // By hand: 1·[-4, 1, 1] + 2·[6, 1, 1] = [8, 3, 3].
    expect(aggregate(new Constant([1, 2]), J)).toEqual([8, 3, 3]);
    expect(aggregate(new Constant(tf.tensor1d([0.5, 0.5])), J)).toEqual([1, 1, 1]);
    const rows = randomMatrix(4, 6, 3);
    const weights = [0.5, -1, 2, 0.25];
    const expected = rows[0].map((_, j) => rows.reduce((s, row, i) => s + weights[i] * row[j], 0));
    aggregate(new Constant(weights), rows).forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
  });

  it.each([...typical, ...scaled].map((m, i) => [i, m]))('expected structure %i', (_, rows) => {
    assertExpectedStructure(new Constant(weightsFor(rows)), rows);
  });

  it('is linear under scaling and strongly stationary', () => {
    for (const rows of typical.slice(3, 12)) {
      assertLinearUnderScaling(new Constant(weightsFor(rows)), rows);
    }
    for (const rows of nonStrong) assertStronglyStationary(new Constant(weightsFor(rows)), rows);
  });

  it('shows its weights in its name as TorchJD does', () => {
    expect(new Constant([1, 0.5, 1 / 3]).toString()).toBe('Constant([1., 0.5, 0.33])');
    expect(new Constant(tf.tensor1d([2, -1.25])).toString()).toBe('Constant([2., -1.25])');
  });

  it('checks the weights and the number of rows with typed errors', () => {
    expect(() => aggregate(new Constant([1, 2, 3]), J)).toThrow(InvalidArgumentError);
    expect(() => aggregate(new Constant([1, 2, 3]), J)).toThrow(/`matrix`.*3 rows/);
    expect(() => new Constant([])).toThrow(/`weights`/);
    expect(() => new Constant([1, Infinity])).toThrow(/`weights`/);
    const matrixWeights = tf.ones([2, 2]);
    expect(() => new ConstantWeighting(matrixWeights as unknown as tf.Tensor1D)).toThrow(
      /`weights`/,
    );
    matrixWeights.dispose();
    expect(() => new Constant('1, 2' as unknown as number[])).toThrow(/`weights`/);
  });

  it('calls hooks, rejects bad input and keeps memory flat', () => {
    assertHooksCalled(new Constant([1, 2, 3, 4]), typical[4]);
    assertBadInputRejected(new Constant([1]));
    const matrix = tf.tensor2d(J);
    const aggregator = new Constant([1, 2]);
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });
});
