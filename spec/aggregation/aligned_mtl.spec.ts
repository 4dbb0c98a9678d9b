import * as tf from '@tensorflow/tfjs';
import { AlignedMTL, AlignedMTLWeighting } from '../../lib/aggregation/aligned_mtl';
import { InvalidArgumentError } from '../../lib/errors';
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
type M = number[][];
const mul = (a: M, b: M): M =>
  a.map((r) => b[0].map((_, j) => r.reduce((s, x, k) => s + x * b[k][j], 0)));

function weightsOf(weighting: AlignedMTLWeighting, gramian: M): number[] {
  return tf.tidy(() => Array.from(weighting.apply(tf.tensor2d(gramian)).dataSync()));
}

describe('AlignedMTL', () => {
  it('matches TorchJD documented values', () => {
    // TorchJD test_values.py: AlignedMTL()(J) ≈ [0.2133, 0.9673, 0.9673];
    // AlignedMTLWeighting()(G) ≈ [0.5591, 0.4083].
    const rows = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    aggregate(new AlignedMTL(), rows).forEach((v, i) =>
      expect(v).toBeCloseTo([0.2133, 0.9673, 0.9673][i], 4),
    );
    const w = weightsOf(new AlignedMTLWeighting(), [
      [18, -22],
      [-22, 38],
    ]);
    w.forEach((v, i) => expect(v).toBeCloseTo([0.5591, 0.4083][i], 4));
  });

  it.each(['min', 'median', 'rmse'] as const)(
    'builds B with B G B = s I, B symmetric, s the %s eigenvalue (recovered column by column)',
    (scaleMode) => {
      const rows = new Rng(3).normals(3, 7);
      const G = mul(
        rows,
        rows[0].map((_, j) => rows.map((r) => r[j])),
      );
      // Column k of B is the weighting with the preference vector e_k.
      const B = [0, 1, 2].map((k) =>
        weightsOf(
          new AlignedMTLWeighting({ prefVector: [0, 1, 2].map((i) => +(i === k)), scaleMode }),
          G,
        ),
      );
      const BGB = mul(mul(B, G), B);
      const s = BGB[0][0];
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          expect(B[i][j]).toBeCloseTo(B[j][i], 5);
          expect(BGB[i][j] / s).toBeCloseTo(i === j ? 1 : 0, 4);
        }
      }
      // The eigenvalues of G: the characteristic polynomial's roots, found by bisection.
      const det3 = (a: M) =>
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
        a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
        a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
      const p = (l: number) => det3(G.map((r, i) => r.map((x, j) => x - (i === j ? l : 0))));
      const grid = Array.from({ length: 20001 }, (_, k) => (k * 60) / 20000);
      const roots: number[] = [];
      for (let k = 0; k < grid.length - 1; k++) {
        let [lo, hi] = [grid[k], grid[k + 1]];
        if (Math.sign(p(lo)) === Math.sign(p(hi))) continue;
        for (let it = 0; it < 60; it++) {
          const mid = (lo + hi) / 2;
          if (Math.sign(p(mid)) === Math.sign(p(lo))) lo = mid;
          else hi = mid;
        }
        roots.push(lo);
      }
      expect(roots.length).toBe(3);
      const expected = {
        min: roots[0],
        median: roots[1],
        rmse: (roots[0] + roots[1] + roots[2]) / 3,
      }[scaleMode];
      expect(s / expected).toBeCloseTo(1, 4);
    },
  );

  it('falls back to the preference vector for a zero Gramian', () => {
    const w = weightsOf(new AlignedMTLWeighting(), [
      [0, 0],
      [0, 0],
    ]);
    expect(w).toEqual([0.5, 0.5]);
  });

  it('has the expected structure and is permutation invariant on fixtures', () => {
    for (const scaleMode of ['min', 'median', 'rmse'] as const) {
      for (const rows of scaled) assertExpectedStructure(new AlignedMTL({ scaleMode }), rows);
    }
    for (const rows of typical) assertExpectedStructure(new AlignedMTL(), rows);
    for (const rows of typical.slice(0, 12)) assertPermutationInvariant(new AlignedMTL(), rows);
  });

  it('names itself, uses prefVector, and validates its options', () => {
    expect(new AlignedMTL().toString()).toBe('AlignedMTL');
    expect(new AlignedMTL({ prefVector: tf.tensor1d([1, 2, 3]) }).toString()).toBe(
      'AlignedMTL([1., 2., 3.])',
    );
    expect(new AlignedMTL({ scaleMode: 'rmse' }).scaleMode).toBe('rmse');
    expect(() => new AlignedMTL({ scaleMode: 'test' as unknown as 'min' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new AlignedMTL({ scaleMode: 'test' as unknown as 'min' })).toThrow(/`scaleMode`/);
    expect(() => new AlignedMTL({ prefVector: [] })).toThrow(/`prefVector`/);
    expect(() =>
      aggregate(new AlignedMTL({ prefVector: [1, 2, 3] }), [
        [1, 2],
        [3, 4],
      ]),
    ).toThrow(/`prefVector`/);
    // A preference vector scales the weights linearly (α = B w).
    const G = [
      [18, -22],
      [-22, 38],
    ];
    const base = weightsOf(new AlignedMTLWeighting(), G);
    const doubled = weightsOf(new AlignedMTLWeighting({ prefVector: [1, 1] }), G);
    doubled.forEach((v, i) => expect(v).toBeCloseTo(2 * base[i], 5));
  });

  it('rejects bad input, calls hooks and keeps memory flat', () => {
    assertBadInputRejected(new AlignedMTL());
    assertHooksCalled(new AlignedMTL(), typical[5]);
    const aggregator = new AlignedMTL();
    const J = tf.tensor2d(typical[5]);
    assertMemoryFlat(() => aggregator.apply(J).dispose());
    J.dispose();
  });
});
