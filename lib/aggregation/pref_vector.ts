import { InvalidArgumentError } from '../errors';
import { readVectorOption, vectorToString } from '../linalg/vector';
import type * as tf from '@tensorflow/tfjs';

/**
 * A preference vector option (`prefVector` of UPGrad, DualProj, AlignedMTL, ConFIG): the weights
 * given to the objectives, or uniform `1/m` weights when absent (TorchJD's default, Mean).
 */
export class PrefVector {
  readonly values: number[] | undefined;

  constructor(prefVector: tf.Tensor1D | number[] | undefined) {
    this.values = prefVector === undefined ? undefined : readVectorOption(prefVector, 'prefVector');
  }

  /** The `m` weights; throws `InvalidArgumentError` if a given vector has another length. */
  weightsFor(m: number): number[] {
    if (this.values === undefined) return new Array<number>(m).fill(1 / m);
    if (this.values.length !== m) {
      throw new InvalidArgumentError(
        'prefVector',
        `has ${this.values.length} entries but the matrix has ${m} rows.`,
      );
    }
    return this.values;
  }

  /** The suffix TorchJD appends to a method's name: `''` or `'([1., 2.])'`. */
  nameSuffix(): string {
    return this.values === undefined ? '' : `(${vectorToString(this.values)})`;
  }
}
