import { NumericalError } from '../../lib/errors';
import { cholesky, invertLowerTriangular } from '../../lib/linalg/cholesky';
import { dot } from '../../lib/linalg/matrix';
import { normalMatrix, Rng } from '../aggregation/_matrices';

const gramianOf = (rows: number[][]) => rows.map((a) => rows.map((b) => dot(a, b)));

describe('cholesky', () => {
  it('reconstructs A = L Lᵀ with L lower-triangular', () => {
    const A = gramianOf(normalMatrix(5, 7, 5, new Rng(9)));
    const L = cholesky(A);
    for (let i = 0; i < 5; i++) {
      expect(L[i][i]).toBeGreaterThan(0);
      for (let j = 0; j < 5; j++) {
        expect(dot(L[i], L[j])).toBeCloseTo(A[i][j], 10);
        if (j > i) expect(L[i][j]).toBe(0);
      }
    }
  });

  it('matches a factorization done by hand', () => {
    // [[4, 2], [2, 5]] = [[2, 0], [1, 2]] · [[2, 1], [0, 2]].
    expect(
      cholesky([
        [4, 2],
        [2, 5],
      ]),
    ).toEqual([
      [2, 0],
      [1, 2],
    ]);
  });

  it('throws NumericalError on a matrix that is not positive definite, or NaN', () => {
    const singular = gramianOf(normalMatrix(4, 3, 2, new Rng(1)));
    singular[3][3] -= 1; // certainly not positive semi-definite any more
    expect(() => cholesky(singular)).toThrow(NumericalError);
    expect(() =>
      cholesky([
        [1, 2],
        [2, 1],
      ]),
    ).toThrow(/positive definite/);
    expect(() => cholesky([[NaN]])).toThrow(NumericalError);
  });
});

describe('invertLowerTriangular', () => {
  it('gives L L⁻¹ = I', () => {
    const L = cholesky(gramianOf(normalMatrix(6, 8, 6, new Rng(2))));
    const inverse = invertLowerTriangular(L);
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        const product = L[i].reduce((s, x, k) => s + x * inverse[k][j], 0);
        expect(product).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
  });
});
