import type { Matrix64 } from './matrix';
import { symmetricEigen } from './symmetric_eigen';

/** Machine epsilon of float32, the precision of Gramians computed on the tfjs backend. */
export const FLOAT32_EPS = 2 ** -23;

/**
 * The Moore–Penrose pseudo-inverse of a symmetric matrix, through its eigendecomposition: the
 * eigenvalues with `|λ| ≤ rtol · max|λ|` are treated as zero (as `torch.linalg.pinv`, whose default
 * `rtol` for an m × m float32 matrix is `m · eps(float32)`, the default here).
 *
 * @example
 * ```ts
 * pseudoInverseSymmetric([[1, 1], [1, 1]]); // [[0.25, 0.25], [0.25, 0.25]]
 * ```
 */
export function pseudoInverseSymmetric(a: Matrix64, rtol = a.length * FLOAT32_EPS): Matrix64 {
  const n = a.length;
  const { values, vectors } = symmetricEigen(a);
  const largest = Math.max(0, ...values.map(Math.abs));
  const inverted = values.map((lambda) =>
    Math.abs(lambda) > rtol * largest && lambda !== 0 ? 1 / lambda : 0,
  );
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += vectors[i][k] * inverted[k] * vectors[j][k];
      return sum;
    }),
  );
}
