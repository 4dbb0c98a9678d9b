import { NumericalError } from '../../lib/errors';
import {
  cholesky,
  choleskyInPlace,
  inversePositiveDefinite,
  invertLowerTriangular,
} from '../../lib/linalg/cholesky';
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

/** `A` flat row-major with row stride `stride` (the columns past n filled with a sentinel). */
function flat(A: number[][], stride: number, sentinel = 7): Float64Array {
  const n = A.length;
  const a = new Float64Array(n * stride).fill(sentinel);
  A.forEach((row, i) => row.forEach((x, j) => (a[i * stride + j] = x)));
  return a;
}

describe('choleskyInPlace', () => {
  // Sizes around the four-row blocks and the two-column steps, rows strided past n.
  it.each([1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 31])(
    'gives the factor of cholesky() in the lower triangle, untouched above (n = %i)',
    (n) => {
      const A = gramianOf(normalMatrix(n, n + 3, n, new Rng(30 + n)));
      const stride = n + 2;
      const a = flat(A, stride);
      expect(choleskyInPlace(a, n, stride)).toBe(-1);
      const L = cholesky(A);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < stride; j++) {
          if (j <= i) expect(a[i * stride + j]).toBeCloseTo(L[i][j], 12);
          else expect(a[i * stride + j]).toBe(j < n ? A[i][j] : 7);
        }
      }
    },
  );

  it('continues a factorization from a given row (rows appended to a factor)', () => {
    const n = 11;
    const A = gramianOf(normalMatrix(n, 14, n, new Rng(3)));
    const whole = flat(A, n);
    choleskyInPlace(whole, n, n);
    for (const from of [1, 3, 4, 6]) {
      const a = flat(A, n);
      expect(choleskyInPlace(a, from, n)).toBe(-1);
      expect(choleskyInPlace(a, n, n, from)).toBe(-1);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) expect(a[i * n + j]).toBeCloseTo(whole[i * n + j], 12);
      }
    }
  });

  it('returns the first pivot that is not positive', () => {
    for (const bad of [0, 2, 5, 8]) {
      const n = 9;
      const A = gramianOf(normalMatrix(n, 12, n, new Rng(bad)));
      // Row `bad` a copy of row 0 with a smaller diagonal makes pivot `bad` negative (−1).
      if (bad === 0) A[0][0] = -1;
      else {
        for (let j = 0; j < n; j++) {
          A[bad][j] = A[0][j];
          A[j][bad] = A[j][0];
        }
        A[bad][bad] = A[0][0] - 1;
      }
      expect(choleskyInPlace(flat(A, n), n, n)).toBe(bad);
    }
    expect(choleskyInPlace(Float64Array.of(NaN), 1, 1)).toBe(0);
  });
});

describe('inversePositiveDefinite', () => {
  // From n = 16 in WebAssembly SIMD (odd and even n, blocks of four with remainders).
  it.each([1, 2, 5, 8, 16, 37, 64, 97])('gives A A⁻¹ = I (n = %i)', (n) => {
    const A = gramianOf(normalMatrix(n, n + 4, n, new Rng(50 + n)));
    const inverse = inversePositiveDefinite(flat(A, n), n)!;
    let residual = 0;
    let asymmetric = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += A[i][k] * inverse[k * n + j];
        residual = Math.max(residual, Math.abs(s - (i === j ? 1 : 0)));
        if (inverse[i * n + j] !== inverse[j * n + i]) asymmetric++;
      }
    }
    expect(residual).toBeLessThan(1e-9);
    expect(asymmetric).toBe(0);
  });

  it('returns null for a matrix that is not positive definite, also at n ≥ 16', () => {
    const n = 20;
    const A = gramianOf(normalMatrix(n, n, n - 1, new Rng(3))); // rank n − 1
    A[7][7] = -1;
    expect(inversePositiveDefinite(flat(A, n), n)).toBeNull();
  });

  it('returns null for a matrix that is not positive definite', () => {
    expect(inversePositiveDefinite(Float64Array.of(1, 2, 2, 1), 2)).toBeNull();
  });
});
