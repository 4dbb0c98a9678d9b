import * as tf from '@tensorflow/tfjs';
import { Krum, KrumWeighting } from '../../lib/aggregation/krum';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures, Rng } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
} from './_properties';

const { typical, scaled } = fixtures();
const atLeast4Rows = (rows: number[][]) => rows.length >= 4;

// TorchJD's tests/unit/aggregation/test_values.py fixture: row 3 is adversarial.
const J_KRUM = [
  [1, 1, 1],
  [1, 0, 1],
  [75, -666, 23],
  [1, 2, 3],
  [2, 0, 1],
];

/** Brute force on the rows themselves: Euclidean distances, full sort, selection by score. */
function bruteForceKrum(rows: number[][], f: number, k: number): number[] {
  const m = rows.length;
  const distance = (a: number[], b: number[]) => Math.hypot(...a.map((x, i) => x - b[i]));
  const scores = rows.map((r, i) =>
    rows
      .filter((_, j) => j !== i)
      .map((s) => distance(r, s))
      .sort((a, b) => a - b)
      .slice(0, m - f - 2)
      .reduce((s, d) => s + d, 0),
  );
  const chosen = scores
    .map((s, i) => [s, i])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
  return rows[0].map((_, c) => chosen.reduce((s, i) => s + rows[i][c], 0) / k);
}

describe('Krum', () => {
  it('matches TorchJD documented values and leaves the adversarial row out', () => {
    // TorchJD: Krum(n_byzantine=1, n_selected=4)(J_Krum) ≈ [1.25, 0.75, 1.5];
    // KrumWeighting(1, 4)(G) ≈ [0.25, 0.25, 0, 0.25, 0.25].
    aggregate(new Krum({ nByzantine: 1, nSelected: 4 }), J_KRUM).forEach((v, i) =>
      expect(v).toBeCloseTo([1.25, 0.75, 1.5][i], 4),
    );
    const G = tf.tidy(() => tf.matMul(tf.tensor2d(J_KRUM), tf.tensor2d(J_KRUM), false, true));
    const w = new KrumWeighting({ nByzantine: 1, nSelected: 4 }).apply(G as tf.Tensor2D);
    expect(Array.from(w.dataSync())).toEqual([0.25, 0.25, 0, 0.25, 0.25]);
    tf.dispose([G, w]);
  });

  it.each([
    [0, 1],
    [1, 1],
    [1, 3],
    [3, 2],
    [5, 9],
  ])('agrees with a brute force on random rows (nByzantine=%i, nSelected=%i)', (f, k) => {
    const rng = new Rng(17 * f + k);
    const rows = rng.normals(Math.max(f + 3, k) + 3, 6);
    // plant two outliers
    rows[1] = rows[1].map((x) => 50 * x);
    rows[4] = rows[4].map((x) => -30 * x);
    const expected = bruteForceKrum(rows, f, k);
    aggregate(new Krum({ nByzantine: f, nSelected: k }), rows).forEach((v, i) =>
      expect(v).toBeCloseTo(expected[i], 4),
    );
  });

  it('has the expected structure on typical and scaled matrices with ≥ 4 rows', () => {
    for (const rows of [...typical, ...scaled].filter(atLeast4Rows)) {
      assertExpectedStructure(new Krum({ nByzantine: 1 }), rows);
    }
  });

  it('names itself, and its options are validated, also through setters', () => {
    const krum = new Krum({ nByzantine: 1, nSelected: 2 });
    expect(krum.toString()).toBe('Krum1-2');
    expect(new Krum({ nByzantine: 0 }).nSelected).toBe(1);
    for (const nByzantine of [-5, -1, 0.5, NaN]) {
      expect(() => new Krum({ nByzantine })).toThrow(InvalidArgumentError);
      expect(() => new Krum({ nByzantine })).toThrow(/`nByzantine`/);
    }
    for (const nSelected of [-5, -1, 0, 1.5]) {
      expect(() => new Krum({ nByzantine: 1, nSelected })).toThrow(/`nSelected`/);
    }
    new Krum({ nByzantine: 5, nSelected: 5 });
    krum.nByzantine = 3;
    expect(krum.gramianWeighting.nByzantine).toBe(3);
    krum.nSelected = 3;
    expect(krum.gramianWeighting.nSelected).toBe(3);
    expect(() => (krum.nByzantine = -1)).toThrow(/`nByzantine`/);
    expect(() => (krum.nSelected = 0)).toThrow(/`nSelected`/);
    expect(() => (new KrumWeighting({ nByzantine: 1 }).nSelected = 0)).toThrow(/`nSelected`/);
  });

  it.each([
    [1, 1, 3, false],
    [1, 1, 4, true],
    [1, 4, 4, true],
    [12, 4, 14, false],
    [12, 4, 15, true],
    [12, 15, 15, true],
    [12, 16, 15, false],
  ])('checks the number of rows (nByzantine=%i, nSelected=%i, m=%i)', (f, k, m, ok) => {
    const rows = Array.from({ length: m }, () => [1, 1, 1, 1, 1]);
    const run = () => aggregate(new Krum({ nByzantine: f, nSelected: k }), rows);
    if (ok) expect(run).not.toThrow();
    else expect(run).toThrow(/`matrix`.*rows/);
    const G = tf.ones([m, m]) as tf.Tensor2D;
    const weigh = () => new KrumWeighting({ nByzantine: f, nSelected: k }).apply(G).dispose();
    if (ok) expect(weigh).not.toThrow();
    else expect(weigh).toThrow(/`gramian`/);
    G.dispose();
  });

  it('rejects bad input, calls hooks and keeps memory flat', () => {
    assertBadInputRejected(new Krum({ nByzantine: 0 }));
    assertHooksCalled(new Krum({ nByzantine: 1 }), J_KRUM);
    const aggregator = new Krum({ nByzantine: 1, nSelected: 2 });
    const J = tf.tensor2d(J_KRUM);
    assertMemoryFlat(() => aggregator.apply(J).dispose());
    J.dispose();
  });
});
