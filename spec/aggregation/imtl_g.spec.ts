import * as tf from '@tensorflow/tfjs';
import { IMTLG, IMTLGWeighting } from '../../lib/aggregation/imtl_g';
import { fixtures, Rng } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
  assertPermutationInvariant,
} from './_properties';

const { typical, scaled } = fixtures();
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('IMTLG', () => {
  it('matches TorchJD documented values', () => {
    // TorchJD test_values.py: IMTLG()(J) ≈ [0.0767, 1, 1], IMTLGWeighting()(G) ≈ [0.5923, 0.4077].
    const rows = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    aggregate(new IMTLG(), rows).forEach((v, i) => expect(v).toBeCloseTo([0.0767, 1, 1][i], 4));
    const w = new IMTLGWeighting().apply(
      tf.tensor2d([
        [18, -22],
        [-22, 38],
      ]),
    );
    const values = Array.from(w.dataSync());
    // Closed form: v = G⁻¹ d with d = (√18, √38); G⁻¹ = [[38, 22], [22, 18]] / 200.
    const v = [38 * Math.sqrt(18) + 22 * Math.sqrt(38), 22 * Math.sqrt(18) + 18 * Math.sqrt(38)];
    values.forEach((x, i) => expect(x).toBeCloseTo(v[i] / (v[0] + v[1]), 5));
    w.dispose();
  });

  it.each([2, 3, 5])('is impartial: equal projections on every unit row (m=%i, full rank)', (m) => {
    const rows = new Rng(m).normals(m, 8);
    const d = aggregate(new IMTLG(), rows);
    const projections = rows.map((r) => dot(r, d) / Math.sqrt(dot(r, r)));
    projections.forEach((p) => expect(p).toBeCloseTo(projections[0], 4));
    expect(projections[0]).toBeGreaterThan(0);
  });

  it('handles duplicated rows (the generalization to dependent rows)', () => {
    // Duplicating a row does not change the set of directions: same result as without it.
    const rows = new Rng(8).normals(3, 6);
    const once = aggregate(new IMTLG(), rows);
    const twice = aggregate(new IMTLG(), [...rows, rows[1]]);
    twice.forEach((v, i) => expect(v).toBeCloseTo(once[i], 3));
  });

  it('gives zero for a zero matrix', () => {
    expect(
      aggregate(new IMTLG(), [
        [0, 0, 0],
        [0, 0, 0],
      ]),
    ).toEqual([0, 0, 0]);
  });

  it('has the expected structure and is permutation invariant on fixtures', () => {
    for (const rows of [...typical, ...scaled]) assertExpectedStructure(new IMTLG(), rows);
    for (const rows of typical.slice(0, 12)) assertPermutationInvariant(new IMTLG(), rows);
  });

  it('names itself, rejects bad input, calls hooks and keeps memory flat', () => {
    expect(new IMTLG().toString()).toBe('IMTLG');
    assertBadInputRejected(new IMTLG());
    assertHooksCalled(new IMTLG(), typical[5]);
    const aggregator = new IMTLG();
    const J = tf.tensor2d(typical[5]);
    assertMemoryFlat(() => aggregator.apply(J).dispose());
    J.dispose();
  });
});
