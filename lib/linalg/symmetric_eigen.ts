import type { Matrix64 } from './matrix';

/** Eigenvalues (ascending) and matching unit eigenvectors (as columns) of a symmetric matrix. */
export interface SymmetricEigen {
  /** Eigenvalues in ascending order, like `torch.linalg.eigh`. */
  values: number[];
  /** `vectors[i][k]` is entry `i` of the eigenvector of `values[k]`. */
  vectors: Matrix64;
}

/**
 * The eigendecomposition `A = V diag(λ) Vᵀ` of a symmetric matrix, by the cyclic Jacobi method:
 * slower than QR for large matrices but unconditionally stable and accurate to a few ulps on the
 * small (m × m) Gramians tfjs-jd handles. Only the upper triangle of `a` is read, as
 * `torch.linalg.eigh(A, UPLO="U")`.
 *
 * @example
 * ```ts
 * const { values, vectors } = symmetricEigen([[2, 1], [1, 2]]); // values [1, 3]
 * ```
 */
export function symmetricEigen(a: Matrix64): SymmetricEigen {
  const n = a.length;
  const s: Matrix64 = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i <= j ? a[i][j] : a[j][i])),
  );
  const v: Matrix64 = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let offDiagonal = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        total += s[i][j] * s[i][j];
        if (i !== j) offDiagonal += s[i][j] * s[i][j];
      }
    }
    // Converged when what is left off the diagonal is rounding noise of the whole matrix.
    if (offDiagonal <= 1e-30 * total || offDiagonal === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        if (s[p][q] === 0) continue;
        rotate(s, v, p, q);
      }
    }
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => s[x][x] - s[y][y]);
  return {
    values: order.map((k) => s[k][k]),
    vectors: v.map((row) => order.map((k) => row[k])),
  };
}

/** One Jacobi rotation zeroing `s[p][q]`, accumulated into the eigenvectors `v`. */
function rotate(s: Matrix64, v: Matrix64, p: number, q: number): void {
  const n = s.length;
  // The rotation angle in the numerically stable form of Rutishauser (Numerical Recipes §11.1).
  const theta = (s[q][q] - s[p][p]) / (2 * s[p][q]);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const sn = t * c;
  for (let k = 0; k < n; k++) {
    const skp = s[k][p];
    const skq = s[k][q];
    s[k][p] = c * skp - sn * skq;
    s[k][q] = sn * skp + c * skq;
  }
  for (let k = 0; k < n; k++) {
    const spk = s[p][k];
    const sqk = s[q][k];
    s[p][k] = c * spk - sn * sqk;
    s[q][k] = sn * spk + c * sqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k][p];
    const vkq = v[k][q];
    v[k][p] = c * vkp - sn * vkq;
    v[k][q] = sn * vkp + c * vkq;
  }
}
