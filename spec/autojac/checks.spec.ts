/**
 * `allFinite`, the check behind every "never write NaN" guarantee of the task gradients: its fast
 * path (one sum) must never pass a non-finite entry, nor fail finite entries whose sum overflows.
 */
import * as tf from '@tensorflow/tfjs';
import { allFinite } from '../../lib/autojac/checks';

describe('allFinite', () => {
  const cases: [string, number[][], boolean][] = [
    ['finite entries', [[1, -2], [3]], true],
    ['finite entries whose float32 sum overflows', [[3e38, 3e38], [3e38]], true],
    [
      'finite entries overflowing to +∞ and −∞ (the sum is NaN)',
      [
        [3e38, 3e38],
        [-3e38, -3e38],
      ],
      true,
    ],
    ['one NaN', [[1, NaN], [2]], false],
    ['one +∞', [[1], [Infinity]], false],
    ['+∞ and −∞ in different tensors', [[Infinity], [-Infinity]], false],
    ['NaN next to overflowing entries', [[3e38, 3e38], [NaN]], false],
  ];
  it.each(cases)('%s → %s', (_, values, expected) => {
    const tensors = values.map((v) => tf.tensor1d(v));
    expect(allFinite(tensors)).toBe(expected);
    tf.dispose(tensors);
  });

  it('empty tensors and no tensors are finite, and nothing leaks', () => {
    const before = tf.memory().numTensors;
    const empty = tf.tensor1d([]);
    expect(allFinite([])).toBe(true);
    expect(allFinite([empty])).toBe(true);
    const tensors = [tf.tensor1d([1, NaN]), tf.tensor2d([[2]])];
    expect(allFinite(tensors)).toBe(false);
    tf.dispose([empty, ...tensors]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
