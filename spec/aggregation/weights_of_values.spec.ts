/**
 * `Weighting.weightsOfValues`, the path the Jacobian-descent step takes from a Gramian it already
 * read: the same weights as `apply` on the tensor, for the weightings that offer it.
 */
import * as tf from '@tensorflow/tfjs';
import { DualProjWeighting } from '../../lib/aggregation/dualproj';
import { KrumWeighting } from '../../lib/aggregation/krum';
import { MGDAWeighting } from '../../lib/aggregation/mgda';
import { PCGradWeighting } from '../../lib/aggregation/pcgrad';
import { UPGradWeighting } from '../../lib/aggregation/upgrad';
import { toMatrix64 } from '../../lib/linalg/matrix';

/** A random m × m Gramian of an m × 7 matrix (rank-deficient from m = 8 on). */
function gramianOf(m: number, seed: number): tf.Tensor2D {
  return tf.tidy(() => {
    const j = tf.randomNormal([m, 7], 0, 1, 'float32', seed);
    const g = tf.matMul(j, j, false, true);
    return tf.div(tf.add(g, tf.transpose(g)), 2) as tf.Tensor2D;
  });
}

describe('weightsOfValues', () => {
  it.each([
    ['UPGradWeighting', () => new UPGradWeighting()],
    ['UPGradWeighting with a preference', () => new UPGradWeighting({ prefVector: [1, 2, 3, 4] })],
    ['DualProjWeighting', () => new DualProjWeighting()],
    ['MGDAWeighting', () => new MGDAWeighting()],
  ])('gives %s the weights of apply', (_name, make) => {
    for (const [m, seed] of [
      [4, 1],
      [4, 2],
      [9, 3],
    ]) {
      const weighting = make();
      if (m !== 4 && _name.includes('preference')) continue;
      const gramian = gramianOf(m, seed);
      const expected = weighting.apply(gramian);
      const actual = weighting.weightsOfValues(toMatrix64(gramian))!;
      expect(actual).toHaveLength(m);
      const values = expected.dataSync();
      actual.forEach((w, i) => expect(w).toBeCloseTo(values[i], 6));
      tf.dispose([gramian, expected]);
    }
  });

  it('is not offered by weightings that compute on tensors', () => {
    const g = [
      [2, 1],
      [1, 2],
    ];
    expect(new PCGradWeighting().weightsOfValues(g)).toBeUndefined();
    expect(new KrumWeighting({ nByzantine: 0 }).weightsOfValues(g)).toBeUndefined();
    // A composed weighting transforms its argument first: it must go through apply.
    expect(new UPGradWeighting().compose((x) => x).weightsOfValues(g)).toBeUndefined();
  });

  it('rejects non-finite weights with the error apply gives', () => {
    const weighting = new UPGradWeighting();
    expect(() => weighting.checkWeightValues([0.5, NaN])).toThrow(/non-finite weights/);
    expect(() => weighting.checkWeightValues([0.5, 0.5])).not.toThrow();
  });
});
