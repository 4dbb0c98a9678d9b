import * as tf from '@tensorflow/tfjs';
import { PrefVector } from '../../lib/aggregation/pref_vector';
import { InvalidArgumentError } from '../../lib/errors';

describe('PrefVector', () => {
  it('defaults to the uniform weights of Mean, with no name suffix', () => {
    const preference = new PrefVector(undefined);
    expect(preference.weightsFor(4)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(preference.nameSuffix()).toBe('');
  });

  it('uses the given weights, from a tensor or an array, and names them', () => {
    const tensor = tf.tensor1d([1, 3]);
    const fromTensor = new PrefVector(tensor);
    tensor.dispose(); // read once at construction: the option does not keep the tensor
    expect(fromTensor.weightsFor(2)).toEqual([1, 3]);
    expect(fromTensor.nameSuffix()).toBe('([1., 3.])');
    expect(new PrefVector([0.5, 0.25]).nameSuffix()).toBe('([0.5, 0.25])');
  });

  it('rejects a non-vector or a length that does not match the matrix, naming prefVector', () => {
    const matrix = tf.ones([2, 2]);
    expect(() => new PrefVector(matrix as unknown as tf.Tensor1D)).toThrow(InvalidArgumentError);
    matrix.dispose();
    expect(() => new PrefVector([])).toThrow(/`prefVector`/);
    expect(() => new PrefVector([1, 2]).weightsFor(3)).toThrow(/`prefVector`.*2 entries.*3 rows/);
  });
});
