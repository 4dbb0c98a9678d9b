import * as tf from '@tensorflow/tfjs';
import {
  GramianWeightedAggregator,
  WeightedAggregator,
} from '../../lib/aggregation/aggregator_bases';
import { CRMOGMWeighting } from '../../lib/aggregation/cr_mogm';
import { GradVacWeighting } from '../../lib/aggregation/gradvac';
import { IMTLGWeighting } from '../../lib/aggregation/imtl_g';
import { MeanWeighting } from '../../lib/aggregation/mean';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures, Rng } from './_matrices';
import { assertExpectedStructure, assertHooksCalled, assertMemoryFlat } from './_properties';

const { typical, scaled } = fixtures();

function gramian(seed: number, m = 3): tf.Tensor2D {
  return tf.tidy(() => {
    const J = tf.tensor2d(new Rng(seed).normals(m, 8));
    return tf.matMul(J, J, false, true) as tf.Tensor2D;
  });
}
const values = (w: tf.Tensor1D) => {
  const v = Array.from(w.dataSync());
  w.dispose();
  return v;
};
const expectClose = (a: number[], b: number[]) =>
  a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 5));

describe('CRMOGMWeighting', () => {
  const G1 = gramian(1);
  const G2 = gramian(2);
  afterAll(() => tf.dispose([G1, G2]));

  it('applies the EMA recurrence (checked by hand over two steps)', () => {
    const alpha = 0.9;
    const hat1 = values(new IMTLGWeighting().apply(G1));
    const hat2 = values(new IMTLGWeighting().apply(G2));
    const smoothed = new CRMOGMWeighting(new IMTLGWeighting(), { alpha });
    // λ₀ = λ̂₁, so λ₁ = λ̂₁ whatever α; λ₂ = α λ₁ + (1 − α) λ̂₂.
    expectClose(values(smoothed.apply(G1)), hat1);
    expectClose(
      values(smoothed.apply(G2)),
      hat1.map((h, i) => alpha * h + (1 - alpha) * hat2[i]),
    );
  });

  it('reduces to the bare weighting with alpha = 0 and freezes with alpha = 1', () => {
    const bare = values(new IMTLGWeighting().apply(G2));
    const none = new CRMOGMWeighting(new IMTLGWeighting(), { alpha: 0 });
    none.apply(G1).dispose();
    expectClose(values(none.apply(G2)), bare);
    const frozen = new CRMOGMWeighting(new IMTLGWeighting(), { alpha: 1 });
    const first = values(frozen.apply(G1));
    expectClose(values(frozen.apply(G2)), first);
    expectClose(values(frozen.apply(G2)), first);
  });

  it('starts from initialWeights, restores them on reset(), and checks their length', () => {
    const initial = [0.5, 0.3, 0.2];
    const hat = values(new IMTLGWeighting().apply(G1));
    const w = new CRMOGMWeighting(new IMTLGWeighting(), { alpha: 0.5, initialWeights: initial });
    const first = values(w.apply(G1));
    expectClose(
      first,
      initial.map((x, i) => 0.5 * x + 0.5 * hat[i]),
    );
    w.apply(G1).dispose();
    w.reset();
    expectClose(values(w.apply(G1)), first);
    const wrong = new CRMOGMWeighting(new MeanWeighting(), { initialWeights: [0.5, 0.5] });
    expect(() => wrong.apply(G1)).toThrow(/`initialWeights`/);
  });

  it('resets a stateful wrapped weighting and refuses a change of m without reset', () => {
    const inner = new GradVacWeighting({ seed: 0 });
    const w = new CRMOGMWeighting(inner, { alpha: 0.5 });
    w.apply(G1).dispose();
    expect(inner.hasState).toBe(true);
    expect(w.hasState).toBe(true);
    w.reset();
    expect(inner.hasState).toBe(false);
    expect(w.hasState).toBe(false);
    w.apply(G1).dispose();
    const G4 = gramian(3, 4);
    expect(() => w.apply(G4)).toThrow(InvalidArgumentError);
    expect(() => w.apply(G4)).toThrow(/number of objectives/);
    w.reset();
    expect(values(w.apply(G4)).length).toBe(4);
    G4.dispose();
  });

  it('validates alpha, also through the setter', () => {
    const w = new CRMOGMWeighting(new MeanWeighting());
    for (const alpha of [0, 0.5, 1]) {
      w.alpha = alpha;
      expect(w.alpha).toBe(alpha);
    }
    for (const alpha of [-0.1, 1.1, NaN]) {
      expect(() => (w.alpha = alpha)).toThrow(/`alpha`/);
      expect(() => new CRMOGMWeighting(new MeanWeighting(), { alpha })).toThrow(/`alpha`/);
    }
    expect(() => new CRMOGMWeighting({} as MeanWeighting)).toThrow(/`weighting`/);
  });

  it('works in matrix and Gramian aggregators on fixtures, with hooks and flat memory', () => {
    const onMatrix = new WeightedAggregator(new CRMOGMWeighting(new MeanWeighting()));
    const onGramian = new GramianWeightedAggregator(new CRMOGMWeighting(new IMTLGWeighting()));
    for (const rows of typical) {
      assertExpectedStructure(
        new WeightedAggregator(new CRMOGMWeighting(new MeanWeighting())),
        rows,
      );
    }
    for (const rows of [...typical, ...scaled]) {
      assertExpectedStructure(
        new GramianWeightedAggregator(new CRMOGMWeighting(new IMTLGWeighting())),
        rows,
      );
    }
    assertHooksCalled(onMatrix, typical[5]);
    const J = tf.tensor2d(typical[5]);
    assertMemoryFlat(() => onGramian.apply(J).dispose());
    assertMemoryFlat(() => onMatrix.apply(J).dispose());
    J.dispose();
    expect(new CRMOGMWeighting(new IMTLGWeighting()).toString()).toBe(
      'CRMOGMWeighting(IMTLGWeighting)',
    );
    // The wrapped weighting validates under its own argument name.
    expect(() =>
      new CRMOGMWeighting(new IMTLGWeighting()).apply(tf.ones([2, 3]) as tf.Tensor2D),
    ).toThrow(/`gramian`/);
  });
});
