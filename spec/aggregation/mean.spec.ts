import * as tf from '@tensorflow/tfjs';
import { Mean, MeanWeighting } from '../../lib/aggregation/mean';
import { UPGrad } from '../../lib/aggregation/upgrad';
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

describe('Mean', () => {
  it('averages the rows', () => {
    // Closed form: (1/m) Σᵢ Jᵢ, summed column by column in float64 here.
    const rows = randomMatrix(5, 7, 11);
    const expected = rows[0].map(
      (_, j) => rows.reduce((s, row) => s + row[j], 0) * (1 / rows.length),
    );
    aggregate(new Mean(), rows).forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
    expect(
      aggregate(new Mean(), [
        [-4, 1, 1],
        [6, 1, 1],
      ]),
    ).toEqual([1, 1, 1]);
    const weights = tf.tidy(() =>
      Array.from(new MeanWeighting().apply(tf.zeros([4, 3])).dataSync()),
    );
    expect(weights).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it.each([...typical, ...scaled].map((m, i) => [i, m]))('expected structure %i', (_, rows) => {
    assertExpectedStructure(new Mean(), rows);
  });

  it('is permutation invariant, linear under scaling and strongly stationary', () => {
    for (const rows of typical.slice(3, 12)) {
      assertPermutationInvariant(new Mean(), rows);
      assertLinearUnderScaling(new Mean(), rows);
    }
    for (const rows of nonStrong) assertStronglyStationary(new Mean(), rows);
  });

  it('names itself, calls hooks and rejects bad input', () => {
    expect(new Mean().toString()).toBe('Mean');
    expect(new MeanWeighting().toString()).toBe('MeanWeighting');
    assertHooksCalled(new Mean(), typical[4]);
    assertBadInputRejected(new Mean());
  });

  it('keeps memory flat', () => {
    const matrix = tf.tensor2d(typical[5]);
    const aggregator = new Mean();
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });
});

describe('a Jacobian with no columns', () => {
  it('aggregates to an empty vector, as TorchJD', () => {
    for (const aggregator of [new Mean(), new UPGrad()]) {
      const matrix = tf.zeros([3, 0]) as tf.Tensor2D;
      const out = aggregator.apply(matrix);
      expect(out.shape).toEqual([0]);
      tf.dispose([matrix, out]);
    }
  });
});
