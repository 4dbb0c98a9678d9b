import * as tf from '@tensorflow/tfjs';
import { Sum, SumWeighting } from '../../lib/aggregation/sum';
import { fixtures, randomMatrix } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertLinearUnderScaling,
  assertMemoryFlat,
  assertPermutationInvariant,
  assertStronglyStationary,
} from './_properties';

const { typical, scaled, nonStrong } = fixtures();

describe('Sum', () => {
  it('adds the rows', () => {
    // Closed form: Σᵢ Jᵢ, summed column by column in float64 here.
    const rows = randomMatrix(5, 7, 11);
    const expected = rows[0].map((_, j) => rows.reduce((s, row) => s + row[j], 0));
    aggregate(new Sum(), rows).forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
    expect(
      aggregate(new Sum(), [
        [-4, 1, 1],
        [6, 1, 1],
      ]),
    ).toEqual([2, 2, 2]);
    const weights = tf.tidy(() =>
      Array.from(new SumWeighting().apply(tf.zeros([4, 3])).dataSync()),
    );
    expect(weights).toEqual([1, 1, 1, 1]);
  });

  it.each([...typical, ...scaled].map((m, i) => [i, m]))('expected structure %i', (_, rows) => {
    assertExpectedStructure(new Sum(), rows);
  });

  it('is permutation invariant, linear under scaling and strongly stationary', () => {
    for (const rows of typical.slice(3, 12)) {
      assertPermutationInvariant(new Sum(), rows);
      assertLinearUnderScaling(new Sum(), rows);
    }
    for (const rows of nonStrong) assertStronglyStationary(new Sum(), rows);
  });

  it('names itself, calls hooks and rejects bad input', () => {
    expect(new Sum().toString()).toBe('Sum');
    expect(new SumWeighting().toString()).toBe('SumWeighting');
    assertHooksCalled(new Sum(), typical[4]);
    assertBadInputRejected(new Sum());
  });

  it('keeps memory flat', () => {
    const matrix = tf.tensor2d(typical[5]);
    const aggregator = new Sum();
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });
});
