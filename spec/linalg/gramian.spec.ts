import * as tf from '@tensorflow/tfjs';
import { computeGramian, normalize, regularize } from '../../lib/linalg/gramian';
import { assertMemoryFlat } from '../aggregation/_properties';
import { randomMatrix } from '../aggregation/_matrices';

describe('computeGramian', () => {
  it('is J Jᵀ, entry by entry', () => {
    // Reference: the dot products of the rows, in float64.
    const rows = randomMatrix(4, 9, 3);
    const gramian = tf.tidy(() => computeGramian(tf.tensor2d(rows)).arraySync());
    rows.forEach((a, i) =>
      rows.forEach((b, j) =>
        expect(gramian[i][j]).toBeCloseTo(
          a.reduce((s, x, k) => s + x * b[k], 0),
          4,
        ),
      ),
    );
  });

  it('keeps memory flat', () => {
    const matrix = tf.tensor2d(randomMatrix(3, 5, 1));
    assertMemoryFlat(() => computeGramian(matrix).dispose());
    matrix.dispose();
  });
});

describe('normalize', () => {
  it('divides by the trace (the squared Frobenius norm of J)', () => {
    const rows = randomMatrix(3, 4, 8);
    const G = rows.map((a) => rows.map((b) => a.reduce((s, x, k) => s + x * b[k], 0)));
    const frobenius2 = rows.flat().reduce((s, x) => s + x * x, 0);
    const normalized = normalize(G, 1e-4);
    normalized.forEach((row, i) =>
      row.forEach((value, j) => expect(value).toBeCloseTo(G[i][j] / frobenius2, 12)),
    );
    expect(normalized.reduce((s, row, i) => s + row[i], 0)).toBeCloseTo(1, 12);
  });

  it('returns zeros when the trace is below eps, as TorchJD (strictly below)', () => {
    const small = [
      [1e-5, 0],
      [0, 1e-5],
    ];
    expect(normalize(small, 1e-4)).toEqual([
      [0, 0],
      [0, 0],
    ]);
    // trace = 2e-5 is not below eps = 2e-5: divided, not zeroed.
    expect(normalize(small, 2e-5)[0][0]).toBeCloseTo(0.5, 12);
    expect(normalize(small, 0)[1][1]).toBeCloseTo(0.5, 12);
  });

  it('does not modify its argument', () => {
    const G = [
      [2, 1],
      [1, 2],
    ];
    normalize(G, 1e-4);
    regularize(G, 1);
    expect(G).toEqual([
      [2, 1],
      [1, 2],
    ]);
  });
});

describe('regularize', () => {
  it('adds eps to the diagonal only', () => {
    expect(
      regularize(
        [
          [1, 2],
          [3, 4],
        ],
        0.5,
      ),
    ).toEqual([
      [1.5, 2],
      [3, 4.5],
    ]);
  });
});
