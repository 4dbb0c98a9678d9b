import * as tf from '@tensorflow/tfjs';
import { UPGrad, UPGradWeighting } from '../../lib/aggregation/upgrad';
import { InvalidArgumentError } from '../../lib/errors';
import { QuadprogProjector } from '../../lib/linalg/dual_cone';
import { fixtures, rankDeficientMatrices } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertLinearUnderScaling,
  assertMemoryFlat,
  assertNonConflicting,
  assertPermutationInvariant,
  assertStronglyStationary,
} from './_properties';

const { typical, scaled, nonStrong } = fixtures();

describe('UPGrad', () => {
  it('matches the solution of the two-row QPs solved by hand', () => {
    // G = [[18, -22], [-22, 38]]. Row 1 (u = [½, 0]): v₁ = ½ and v₂ = 22·½/38 minimizes vᵀGv.
    // Row 2 (u = [0, ½]): v₂ = ½, v₁ = 22·½/18. w = v(1) + v(2); result wᵀJ.
    const w = [0.5 + (22 * 0.5) / 18, (22 * 0.5) / 38 + 0.5];
    const expected = [-4 * w[0] + 6 * w[1], w[0] + w[1], w[0] + w[1]];
    const rows = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    const exact = aggregate(new UPGrad({ regEps: 0 }), rows);
    exact.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    // With the default regEps = 1e-4, TorchJD documents ≈ [0.2929, 1.9004, 1.9004].
    const regularized = aggregate(new UPGrad(), rows);
    [0.2929, 1.9004, 1.9004].forEach((v, i) => expect(regularized[i]).toBeCloseTo(v, 4));
  });

  it('UPGradWeighting returns the hand-solved weights from the Gramian', () => {
    // Same QPs as above, on G = J Jᵀ given directly: w = [½ + 11/18, 11/38 + ½].
    const weights = tf.tidy(() =>
      Array.from(
        new UPGradWeighting({ regEps: 0 })
          .apply(
            tf.tensor2d([
              [18, -22],
              [-22, 38],
            ]),
          )
          .dataSync(),
      ),
    );
    expect(weights[0]).toBeCloseTo(0.5 + 11 / 18, 6);
    expect(weights[1]).toBeCloseTo(11 / 38 + 0.5, 6);
  });

  it("gives the same result with the quadprog projector (TorchJD's solver)", () => {
    for (const rows of [...typical.slice(3, 12), ...rankDeficientMatrices()]) {
      const fast = aggregate(new UPGrad(), rows);
      const reference = aggregate(new UPGrad({ projector: new QuadprogProjector() }), rows);
      fast.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 4));
    }
  });

  it('leaves a non-conflicting Jacobian to its mean when rows agree', () => {
    const rows = [
      [1, 0, 1],
      [1, 1, 0],
    ];
    const mean = [1, 0.5, 0.5];
    aggregate(new UPGrad({ regEps: 0 }), rows).forEach((v, i) => expect(v).toBeCloseTo(mean[i], 5));
  });

  it.each(typical.map((m, i) => [i, m]))(
    'typical matrix %i: structure and non-conflict',
    (_, rows) => {
      assertExpectedStructure(new UPGrad(), rows);
      assertNonConflicting(new UPGrad(), rows);
    },
  );

  it.each(scaled.map((m, i) => [i, m]))('scaled matrix %i: finite output', (_, rows) => {
    assertExpectedStructure(new UPGrad(), rows);
  });

  it.each(typical.slice(3, 12).map((m, i) => [i, m]))('permutation invariant %i', (_, rows) => {
    assertPermutationInvariant(new UPGrad(), rows, 5e-5, 5e-5);
  });

  it.each(typical.slice(3, 12).map((m, i) => [i, m]))('linear under scaling %i', (_, rows) => {
    assertLinearUnderScaling(new UPGrad(), rows, 6e-2, 6e-2);
  });

  it.each(nonStrong.map((m, i) => [i, m]))('strongly stationary %i', (_, rows) => {
    assertStronglyStationary(new UPGrad(), rows);
  });

  it('uses the preference vector and names it', () => {
    const rows = [
      [1, 0],
      [0, 1],
    ];
    // Orthogonal rows do not conflict: the projections are the rows themselves.
    const out = aggregate(new UPGrad({ prefVector: [1, 3], regEps: 0 }), rows);
    expect(out[0]).toBeCloseTo(1, 5);
    expect(out[1]).toBeCloseTo(3, 5);
    expect(new UPGrad({ prefVector: tf.tensor1d([1, 3]) }).toString()).toBe('UPGrad([1., 3.])');
    expect(new UPGrad().toString()).toBe('UPGrad');
    expect(new UPGradWeighting({ prefVector: [0.5, 2] }).toString()).toBe(
      'UPGradWeighting([0.5, 2.])',
    );
    expect(() => aggregate(new UPGrad({ prefVector: [1, 2, 3] }), rows)).toThrow(/`prefVector`/);
  });

  it('rejects bad options and bad input with typed errors', () => {
    expect(() => new UPGrad({ normEps: -1 })).toThrow(InvalidArgumentError);
    expect(() => new UPGrad({ regEps: NaN })).toThrow(/`regEps`/);
    expect(() => new UPGrad({ prefVector: [] })).toThrow(/`prefVector`/);
    // eps values belong to the projector when one is given, as in TorchJD.
    expect(() => new UPGrad({ projector: new QuadprogProjector(), normEps: 1e-3 })).toThrow(
      /`normEps`/,
    );
    const projector = new QuadprogProjector({ regEps: 1e-6 });
    expect(new UPGrad({ projector }).gramianWeighting.projector).toBe(projector);
    assertBadInputRejected(new UPGrad());
    expect(() => new UPGradWeighting().apply(tf.ones([2, 3]) as tf.Tensor2D)).toThrow(/`gramian`/);
  });

  it('calls hooks, on the aggregator and on its weighting', () => {
    const aggregator = new UPGrad();
    assertHooksCalled(aggregator, typical[4]);
    const weightsSeen: number[] = [];
    const handle = aggregator.gramianWeighting.registerForwardHook((_w, [G], weights) => {
      weightsSeen.push(G.shape[0], weights.shape[0]);
    });
    aggregate(aggregator, typical[4]);
    handle.remove();
    expect(weightsSeen).toEqual([4, 4]);
  });

  it('keeps memory flat', () => {
    const aggregator = new UPGrad();
    const J = tf.tensor2d(typical[5]);
    assertMemoryFlat(() => aggregator.apply(J).dispose());
    const G = tf.matMul(J, J, false, true) as tf.Tensor2D;
    assertMemoryFlat(() => aggregator.gramianWeighting.apply(G).dispose());
    tf.dispose([J, G]);
  });
});
