import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../../lib/errors';
import {
  dot,
  identity,
  isFiniteMatrix,
  matVec,
  toMatrix64,
  toTensor1D,
} from '../../lib/linalg/matrix';
import { readVectorOption, vectorToString } from '../../lib/linalg/vector';
import { assertMemoryFlat } from '../aggregation/_properties';

describe('float64 matrices', () => {
  it('download a tensor into rows and upload weights as a float32 vector', () => {
    const tensor = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(toMatrix64(tensor)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const vector = toTensor1D(new Float64Array([0.5, 0.25]));
    expect(vector.shape).toEqual([2]);
    expect(vector.dtype).toBe('float32');
    expect(Array.from(vector.dataSync())).toEqual([0.5, 0.25]);
    tf.dispose([tensor, vector]);
    assertMemoryFlat(() => toTensor1D([1, 2]).dispose());
  });

  it('multiply, take dot products and check finiteness', () => {
    expect(
      matVec(
        [
          [1, 2],
          [3, 4],
        ],
        [1, -1],
      ),
    ).toEqual([-1, -1]);
    expect(dot([1, 2, 3], [4, 5, 6])).toBe(32);
    expect(identity(2)).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(isFiniteMatrix([[1, 2]])).toBe(true);
    expect(isFiniteMatrix([[1, Infinity]])).toBe(false);
  });
});

describe('vector options', () => {
  it('read a tf.Tensor1D or a number[] into numbers', () => {
    const tensor = tf.tensor1d([1, 2.5]);
    expect(readVectorOption(tensor, 'weights')).toEqual([1, 2.5]);
    tensor.dispose();
    expect(readVectorOption([3, 4], 'weights')).toEqual([3, 4]);
  });

  it('reject anything else with an error naming the option', () => {
    const matrix = tf.ones([2, 2]);
    for (const bad of [matrix, [], [1, NaN], ['1'], 'abc', undefined, null]) {
      expect(() => readVectorOption(bad, 'prefVector')).toThrow(InvalidArgumentError);
      expect(() => readVectorOption(bad, 'prefVector')).toThrow(/`prefVector`/);
    }
    matrix.dispose();
  });

  it('render as TorchJD does: two decimals, trailing zeros stripped', () => {
    // Python: f"{v:.2f}".rstrip("0") gives "1.", "0.5", "0.33", "-1.25", "10.".
    expect(vectorToString([1, 0.5, 1 / 3, -1.25, 10])).toBe('[1., 0.5, 0.33, -1.25, 10.]');
  });
});
