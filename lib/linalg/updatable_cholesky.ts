import { choleskyInPlace } from './cholesky';

/**
 * The Cholesky factor of a principal submatrix `M_SS` of a fixed symmetric positive definite m × m
 * matrix, kept up to date as indices enter and leave S: adding an index costs O(|S|²) (one more
 * row of the factor), removing one O(|S|²) (Givens rotations restore the triangle; Golub & Van
 * Loan, "Matrix Computations", §6.5.4), against O(|S|³) for a new factorization. Active-set
 * solvers change S by a few indices per step, which makes each step quadratic instead of cubic.
 */
export class UpdatableCholesky {
  /** The indices of S, in the order of the factor's rows. */
  readonly indices: number[] = [];
  /** Row-major lower-triangular factor with row stride m: `L Lᵀ = M_SS`. */
  private readonly l: Float64Array;

  /** `matrix`: flat row-major m × m, symmetric positive definite. */
  constructor(
    private readonly matrix: Float64Array,
    private readonly m: number,
  ) {
    this.l = new Float64Array(m * m);
  }

  /** The number of indices in S. */
  get size(): number {
    return this.indices.length;
  }

  /**
   * Factorizes `M_SS` anew for `indices` (in that order: put last the indices likeliest to leave,
   * removing them is then cheapest); false if it is not numerically positive definite.
   */
  reset(indices: number[]): boolean {
    const { l, m, matrix } = this;
    const k = indices.length;
    this.indices.length = 0;
    for (let i = 0; i < k; i++) {
      const source = indices[i] * m;
      const row = i * m;
      for (let q = 0; q <= i; q++) l[row + q] = matrix[source + indices[q]];
    }
    const failed = choleskyInPlace(l, k, m);
    for (let i = 0; i < (failed < 0 ? k : failed); i++) this.indices.push(indices[i]);
    return failed < 0;
  }

  /**
   * Brings S to `target` by updates, or by a new factorization when that is cheaper; false if a
   * pivot is not positive (S is then in an unspecified state: call `reset`).
   */
  moveTo(target: number[]): boolean {
    const { indices } = this;
    const wanted = new Set(target);
    const present = new Set(indices);
    const entering = target.filter((i) => !present.has(i));
    const k = indices.length;
    // In multiply-adds: a new factorization k³/6 (at about twice the speed of the updates' loops);
    // an entering index k²/2; a leaving one at position p about 2(k − p)² (its rotations).
    let updateCost = (entering.length * target.length * target.length) / 2;
    const leaving: number[] = [];
    for (let p = k - 1; p >= 0; p--) {
      if (wanted.has(indices[p])) continue;
      leaving.push(indices[p]);
      updateCost += 2 * (k - p) * (k - p);
    }
    if (updateCost > target.length ** 3 / 12) return this.reset(target);
    // From the last position back: each removal then leaves the earlier positions where they are.
    for (const index of leaving) this.remove(index);
    for (const index of entering) if (!this.add(index)) return false;
    return true;
  }

  /** Adds `index` to S (one more row of the factor); false if the new pivot is not positive. */
  add(index: number): boolean {
    const { l, m, matrix, indices } = this;
    const k = indices.length;
    const row = k * m;
    for (let q = 0; q < k; q++) {
      const entry = matrix[indices[q] * m + index] - dot(l, row, l, q * m, q);
      l[row + q] = entry / l[q * m + q];
    }
    const pivot = matrix[index * m + index] - dot(l, row, l, row, k);
    if (!(pivot > 0)) return false;
    l[row + k] = Math.sqrt(pivot);
    indices.push(index);
    return true;
  }

  /** Removes `index` from S (which must hold it). */
  remove(index: number): void {
    const { l, m, indices } = this;
    const position = indices.indexOf(index);
    const k = indices.length - 1;
    indices.splice(position, 1);
    // Drop the row; the rows below then reach one column past the diagonal.
    for (let i = position; i < k; i++) l.copyWithin(i * m, (i + 1) * m, (i + 1) * m + i + 2);
    for (let r = position; r < k; r++) {
      // A rotation of columns r and r + 1 zeroes entry (r, r + 1) and keeps L Lᵀ.
      const a = l[r * m + r];
      const b = l[r * m + r + 1];
      const norm = Math.hypot(a, b);
      const c = a / norm;
      const s = b / norm;
      for (let t = r; t < k; t++) {
        const x = l[t * m + r];
        const y = l[t * m + r + 1];
        l[t * m + r] = c * x + s * y;
        l[t * m + r + 1] = c * y - s * x;
      }
      l[r * m + r + 1] = 0;
    }
  }

  /** Solves `M_SS z = rhs` (`rhs` and `z` ordered like {@link indices}). */
  solve(rhs: Float64Array): Float64Array {
    const { l, m } = this;
    const k = this.indices.length;
    const z = new Float64Array(k);
    for (let i = 0; i < k; i++) z[i] = (rhs[i] - dot(l, i * m, z, 0, i)) / l[i * m + i];
    // Lᵀ z = y, column by column of Lᵀ (rows of L, contiguous in memory).
    for (let i = k - 1; i >= 0; i--) {
      const zi = (z[i] /= l[i * m + i]);
      for (let j = 0; j < i; j++) z[j] -= l[i * m + j] * zi;
    }
    return z;
  }
}

/**
 * `Σ_{p < length} a[aStart + p] · b[bStart + p]` with four running sums: one sum waits on the
 * previous addition at every step, four keep the processor's adders busy.
 */
export function dot(
  a: Float64Array,
  aStart: number,
  b: Float64Array,
  bStart: number,
  length: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let p = 0;
  for (; p + 3 < length; p += 4) {
    s0 += a[aStart + p] * b[bStart + p];
    s1 += a[aStart + p + 1] * b[bStart + p + 1];
    s2 += a[aStart + p + 2] * b[bStart + p + 2];
    s3 += a[aStart + p + 3] * b[bStart + p + 3];
  }
  for (; p < length; p++) s0 += a[aStart + p] * b[bStart + p];
  return s0 + s1 + (s2 + s3);
}
