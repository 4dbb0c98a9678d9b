/**
 * `allFinite`, the check behind every "never write NaN" guarantee of the task gradients: its fast
 * path (one sum) must never pass a non-finite entry, nor fail finite entries whose sum overflows.
 */
import * as tf from '@tensorflow/tfjs';
import { allFinite } from '../../lib/autojac/checks';

describe('allFinite', () => {
  const cases: [string, boolean, number[][]][] = [
    ['finite entries', true, [[1, -2], [3]]],
    ['finite entries whose float32 sum overflows', true, [[3e38, 3e38], [3e38]]],
    [
      'finite entries overflowing to +∞ and −∞ (the sum is NaN)',
      true,
      [
        [3e38, 3e38],
        [-3e38, -3e38],
      ],
    ],
    ['one NaN', false, [[1, NaN], [2]]],
    ['one +∞', false, [[1], [Infinity]]],
    ['+∞ and −∞ in different tensors', false, [[Infinity], [-Infinity]]],
    ['NaN next to overflowing entries', false, [[3e38, 3e38], [NaN]]],
  ];
  it.each(cases)('%s → %s', (_, expected, values) => {
    const tensors = values.map((v) => tf.tensor1d(v));
    expect(allFinite(tensors)).toBe(expected);
    tf.dispose(tensors);
  });

  // Above 65,536 entries the values are not scanned in JavaScript: the sum, then entry by entry.
  const big = 70000;
  const bigCases: [string, boolean, () => tf.Tensor[]][] = [
    ['large, finite', true, () => [tf.fill([big], 0.5), tf.ones([3])]],
    ['large, overflowing the sum', true, () => [tf.fill([big], 3e38)]],
    ['large, one NaN', false, () => [tf.fill([big], 1), tf.tensor1d([NaN])]],
    ['large, one −∞', false, () => [tf.concat([tf.fill([big], 1), tf.tensor1d([-Infinity])])]],
  ];
  it.each(bigCases)('%s → %s', (_, expected, make) => {
    const tensors = make();
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
