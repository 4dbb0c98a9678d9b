import { choleskyInPlace, dot } from './cholesky';

export { dot };

/** The ways from one index set to another: see {@link UpdatableCholesky.moveCost}. */
interface MovePlan {
  target: number[];
  rotationCost: number;
  refactorCost: number;
  firstLeaving: number;
  leaving: number[];
  entering: number[];
}

/**
 * The Cholesky factor of a principal submatrix `M_SS` of a fixed symmetric positive definite m × m
 * matrix, kept up to date as indices enter and leave S: adding an index costs O(|S|²) (one more
 * row of the factor), removing one O(|S|²) (Givens rotations restore the triangle; Golub & Van
 * Loan, "Matrix Computations", §6.5.4), against O(|S|³) for a new factorization. Active-set
 * solvers change S by a few indices per step, which makes each step quadratic instead of cubic.
 * New rows, and rows refactored, go through the blocked kernel of `choleskyInPlace`.
 */
export class UpdatableCholesky {
  /** The indices of S, in the order of the factor's rows. */
  readonly indices: number[] = [];
  /** Row-major lower-triangular factor with row stride m: `L Lᵀ = M_SS`. */
  private readonly l: Float64Array;
  /** Scratch marks for set differences: `mark[i] === stamp` means "i is in the set marked". */
  private readonly mark: Int32Array;
  private stamp = 0;
  /**
   * The plan {@link moveCost} last computed, reused by {@link moveTo} for the same target array
   * (so that array must not change in between); any change to S drops it.
   */
  private plan: MovePlan | null = null;

  /** `matrix`: flat row-major m × m, symmetric positive definite. */
  constructor(
    private readonly matrix: Float64Array,
    private readonly m: number,
  ) {
    this.l = new Float64Array(m * m);
    this.mark = new Int32Array(m);
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
    this.indices.length = 0;
    return this.append(indices);
  }

  /**
   * Adds `entering` (not in S) as the last rows of the factor, all at once with the blocked
   * kernel; false if a pivot is not positive (S then holds the indices before it).
   */
  append(entering: number[]): boolean {
    const { l, m, matrix, indices } = this;
    this.plan = null;
    const k = indices.length;
    for (const index of entering) indices.push(index);
    const n = indices.length;
    for (let i = k; i < n; i++) {
      const source = indices[i] * m;
      const row = i * m;
      for (let q = 0; q <= i; q++) l[row + q] = matrix[source + indices[q]];
    }
    const failed = choleskyInPlace(l, n, m, k);
    if (failed >= 0) indices.length = failed;
    return failed < 0;
  }

  /**
   * The cost of {@link moveTo}`(target)` in multiply-adds of the blocked kernel: the cheaper of
   * updating the factor (an entering index about n²/2; a leaving one at position p about 2(k − p)²
   * rotations, counted twice as they run at about half the speed) and refactoring it from the
   * first leaving position p₀ on ((n³ − p₀³)/6: the rows above p₀ stay as they are; p₀ = 0 is a
   * new factorization).
   */
  moveCost(target: number[]): number {
    this.plan = this.planMove(target);
    return Math.min(this.plan.rotationCost, this.plan.refactorCost);
  }

  /**
   * Brings S to `target` by updates, or by refactoring the rows from the first leaving one on, when
   * that is cheaper (see {@link moveCost}). Refactored rows come in `target`'s order or, when
   * given, sorted by `order` (see {@link reset}); false if a pivot is not positive (S is then in
   * an unspecified state: call `reset`).
   */
  moveTo(target: number[], order?: (a: number, b: number) => number): boolean {
    const plan = this.plan?.target === target ? this.plan : this.planMove(target);
    this.plan = null;
    const { indices, mark } = this;
    if (plan.rotationCost <= plan.refactorCost) {
      for (const index of plan.leaving) this.remove(index);
      return this.append(plan.entering);
    }
    const kept = ++this.stamp;
    for (let p = 0; p < plan.firstLeaving; p++) mark[indices[p]] = kept;
    const rest = target.filter((i) => mark[i] !== kept);
    if (order) rest.sort(order);
    indices.length = plan.firstLeaving;
    return this.append(rest);
  }

  /** The ways from S to `target`: leaving indices (from the last position back), entering ones. */
  private planMove(target: number[]): MovePlan {
    const { indices, mark } = this;
    const k = indices.length;
    const n = target.length;
    const present = ++this.stamp;
    for (let p = 0; p < k; p++) mark[indices[p]] = present;
    const entering: number[] = [];
    for (const i of target) if (mark[i] !== present) entering.push(i);
    const wanted = ++this.stamp;
    for (const i of target) mark[i] = wanted;
    let rotationCost = (entering.length * n * n) / 2;
    // From the last position back: each removal then leaves the earlier positions where they are.
    const leaving: number[] = [];
    let firstLeaving = k;
    for (let p = k - 1; p >= 0; p--) {
      if (mark[indices[p]] === wanted) continue;
      leaving.push(indices[p]);
      rotationCost += 4 * (k - p) * (k - p);
      firstLeaving = p;
    }
    const refactorCost = (n ** 3 - firstLeaving ** 3) / 6;
    return { target, rotationCost, refactorCost, firstLeaving, leaving, entering };
  }

  /** Adds `index` to S (one more row of the factor); false if the new pivot is not positive. */
  add(index: number): boolean {
    this.plan = null;
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
    this.plan = null;
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
      // Math.hypot guards against over- and underflow, at several times the cost: only when needed.
      let norm = Math.sqrt(a * a + b * b);
      if (!(norm > 1e-150 && norm < 1e150)) norm = Math.hypot(a, b);
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
    // L y = rhs, two rows at a time: each z[j] loaded once for both rows' sums.
    let t = 0;
    for (; t + 1 < k; t += 2) {
      const r = t * m;
      const s = r + m;
      let a0 = rhs[t];
      let a1 = rhs[t + 1];
      let b0 = 0;
      let b1 = 0;
      let j = 0;
      for (; j + 1 < t; j += 2) {
        const z0 = z[j];
        const z1 = z[j + 1];
        a0 -= l[r + j] * z0;
        b0 -= l[r + j + 1] * z1;
        a1 -= l[s + j] * z0;
        b1 -= l[s + j + 1] * z1;
      }
      if (j < t) {
        a0 -= l[r + j] * z[j];
        a1 -= l[s + j] * z[j];
      }
      const zt = (a0 + b0) / l[r + t];
      z[t] = zt;
      z[t + 1] = (a1 + b1 - l[s + t] * zt) / l[s + t + 1];
    }
    if (t < k) z[t] = (rhs[t] - dot(l, t * m, z, 0, t)) / l[t * m + t];
    // Lᵀ z = y, column by column of Lᵀ (rows of L, contiguous in memory), two at a time: each
    // z[j] is then loaded and stored once for two multiply-adds.
    let i = k - 1;
    for (; i >= 1; i -= 2) {
      const r = i * m;
      const s = r - m;
      const zi = (z[i] /= l[r + i]);
      const zh = (z[i - 1] = (z[i - 1] - l[r + i - 1] * zi) / l[s + i - 1]);
      for (let j = 0; j < i - 1; j++) z[j] -= l[r + j] * zi + l[s + j] * zh;
    }
    if (i === 0) z[0] /= l[0];
    return z;
  }
}
