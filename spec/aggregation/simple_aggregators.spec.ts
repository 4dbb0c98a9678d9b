import * as tf from '@tensorflow/tfjs';
import { Constant, ConstantWeighting } from '../../lib/aggregation/constant';
import { Mean } from '../../lib/aggregation/mean';
import { Random } from '../../lib/aggregation/random';
import { Sum } from '../../lib/aggregation/sum';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertLinearUnderScaling,
  assertMemoryFlat,
  assertPermutationInvariant,
} from './_properties';

const { typical, scaled } = fixtures();
const J = [
  [-4, 1, 1],
  [6, 1, 1],
];

describe('Mean and Sum', () => {
  it('average and add the rows', () => {
    expect(aggregate(new Mean(), J)).toEqual([1, 1, 1]);
    expect(aggregate(new Sum(), J)).toEqual([2, 2, 2]);
    expect(new Mean().toString()).toBe('Mean');
    expect(new Sum().toString()).toBe('Sum');
  });

  it.each([new Mean(), new Sum()])('%s: properties on fixtures', (aggregator) => {
    for (const rows of [...typical, ...scaled]) assertExpectedStructure(aggregator, rows);
    for (const rows of typical.slice(3, 10)) {
      assertPermutationInvariant(aggregator, rows);
      assertLinearUnderScaling(aggregator, rows);
    }
    assertHooksCalled(aggregator, J);
    assertBadInputRejected(aggregator);
    const matrix = tf.tensor2d(J);
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });
});

describe('Constant', () => {
  it('combines the rows with the given weights and shows them in its name', () => {
    expect(aggregate(new Constant([1, 2]), J)).toEqual([8, 3, 3]);
    expect(aggregate(new Constant(tf.tensor1d([0.5, 0.5])), J)).toEqual([1, 1, 1]);
    expect(new Constant([1, 0.5, 1 / 3]).toString()).toBe('Constant([1., 0.5, 0.33])');
  });

  it('is linear under scaling and checks the number of rows', () => {
    assertLinearUnderScaling(new Constant([1, 2, 3, 4]), typical[4]);
    expect(() => aggregate(new Constant([1, 2, 3]), J)).toThrow(InvalidArgumentError);
    expect(() => aggregate(new Constant([1, 2, 3]), J)).toThrow(/3 rows/);
    expect(() => new Constant([])).toThrow(/`weights`/);
    const matrix = tf.tensor2d(J);
    const constant = new Constant([1, 2]);
    assertMemoryFlat(() => constant.apply(matrix).dispose());
    matrix.dispose();
    expect(() => new ConstantWeighting(tf.ones([2, 2]) as unknown as tf.Tensor1D)).toThrow(
      /`weights`/,
    );
  });
});

describe('Random', () => {
  it('draws positive weights summing to one, reproducibly with a seed', () => {
    const first = new Random({ seed: 3 });
    const second = new Random({ seed: 3 });
    const weights = (aggregator: Random) =>
      tf.tidy(() => Array.from(aggregator.weighting.apply(tf.tensor2d(J)).dataSync()));
    const a = weights(first);
    expect(a.every((w) => w > 0)).toBe(true);
    expect(a[0] + a[1]).toBeCloseTo(1, 6);
    expect(weights(second)).toEqual(a);
    expect(weights(first)).not.toEqual(a); // redrawn at each call
    first.reset();
    expect(weights(first)).toEqual(a);
    expect(() => new Random({ seed: 1.5 })).toThrow(/`seed`/);
  });

  it('has the expected structure and no leaks', () => {
    for (const rows of typical) assertExpectedStructure(new Random({ seed: 0 }), rows);
    const matrix = tf.tensor2d(J);
    const aggregator = new Random();
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });
});
