import * as tf from '@tensorflow/tfjs';
import { DualProj, DualProjWeighting } from '../../lib/aggregation/dualproj';
import { InvalidArgumentError } from '../../lib/errors';
import { QuadprogProjector } from '../../lib/linalg/dual_cone';
import { fixtures, rankDeficientMatrices } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
  assertNonConflicting,
  assertPermutationInvariant,
  assertStronglyStationary,
} from './_properties';

const { typical, scaled, nonStrong } = fixtures();
const conflicting = [
  [-4, 1, 1],
  [6, 1, 1],
];

describe('DualProj', () => {
  it('matches the two-row QP solved by hand', () => {
    // G = [[18, -22], [-22, 38]], u = [½, ½]: Gu = [-2, 8], so only v₁ can move up. With v₂ = ½,
    // min 18v₁² − 44v₁v₂ gives v₁ = 22·½/18 = 11/18, and λ₂ = 2(−22·11/18 + 38·½) > 0 confirms
    // the active set. Output wᵀJ with w = [11/18, ½].
    const w = [11 / 18, 0.5];
    const expected = [-4 * w[0] + 6 * w[1], w[0] + w[1], w[0] + w[1]];
    const out = aggregate(new DualProj({ regEps: 0 }), conflicting);
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    // The first row ends up exactly orthogonal to the output: the boundary of the dual cone.
    expect(-4 * out[0] + out[1] + out[2]).toBeCloseTo(0, 4);
  });

  it('returns the mean itself when it conflicts with no row', () => {
    const rows = [
      [1, 0, 1],
      [1, 1, 0],
    ];
    aggregate(new DualProj({ regEps: 0 }), rows).forEach((v, i) =>
      expect(v).toBeCloseTo([1, 0.5, 0.5][i], 5),
    );
  });

  it('projects the preference-weighted rows when given a preference vector', () => {
    // Orthogonal rows: nothing conflicts, the output is pᵀJ.
    const out = aggregate(new DualProj({ prefVector: [2, 5], regEps: 0 }), [
      [1, 0],
      [0, 1],
    ]);
    expect(out[0]).toBeCloseTo(2, 5);
    expect(out[1]).toBeCloseTo(5, 5);
  });

  it('gives the same result with the quadprog projector', () => {
    for (const rows of [...typical.slice(3, 12), ...rankDeficientMatrices()]) {
      const fast = aggregate(new DualProj(), rows);
      const reference = aggregate(new DualProj({ projector: new QuadprogProjector() }), rows);
      fast.forEach((v, i) => expect(v).toBeCloseTo(reference[i], 4));
    }
  });

  it.each([...typical, ...scaled].map((m, i) => [i, m]))('expected structure %i', (_, rows) => {
    assertExpectedStructure(new DualProj(), rows);
  });

  it.each(typical.map((m, i) => [i, m]))('non-conflicting %i', (_, rows) => {
    // TorchJD's 1e-4 is for float64 matrices; a float32 Gramian needs the default 4e-4.
    assertNonConflicting(new DualProj(), rows);
  });

  it('is permutation invariant and strongly stationary', () => {
    for (const rows of typical.slice(3, 12)) {
      assertPermutationInvariant(new DualProj(), rows, 5e-5, 5e-5);
    }
    for (const rows of nonStrong) assertStronglyStationary(new DualProj(), rows);
  });

  it('names itself with its preference vector', () => {
    expect(new DualProj().toString()).toBe('DualProj');
    expect(new DualProj({ prefVector: [1, 2] }).toString()).toBe('DualProj([1., 2.])');
    expect(new DualProjWeighting({ prefVector: tf.tensor1d([0.5, 1]) }).toString()).toBe(
      'DualProjWeighting([0.5, 1.])',
    );
  });

  it('calls hooks and rejects bad input and options with typed errors', () => {
    assertHooksCalled(new DualProj(), typical[4]);
    assertBadInputRejected(new DualProj());
    expect(() => new DualProj({ normEps: -1 })).toThrow(InvalidArgumentError);
    expect(() => new DualProj({ regEps: -1e-3 })).toThrow(/`regEps`/);
    expect(() => new DualProj({ projector: new QuadprogProjector(), regEps: 1e-3 })).toThrow(
      /`regEps`/,
    );
    expect(() => new DualProj({ prefVector: [1, NaN] })).toThrow(/`prefVector`/);
    expect(() => aggregate(new DualProj({ prefVector: [1, 2, 3] }), conflicting)).toThrow(
      /`prefVector`/,
    );
  });

  it('keeps memory flat', () => {
    const matrix = tf.tensor2d(typical[5]);
    const aggregator = new DualProj();
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    matrix.dispose();
  });
});
