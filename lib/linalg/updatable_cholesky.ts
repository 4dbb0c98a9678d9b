import { choleskyInPlace, dot } from './cholesky';
import { wasmCholesky, type WasmCholesky } from './cholesky_wasm';

export { dot };

/**
 * From this m on, factors are computed with the WebAssembly SIMD kernel (below it, setting up a
 * module instance costs more than it saves).
 */
const SIMD_FROM = 16;

/** Where a float64's low 32 mantissa bits sit among its two 32-bit words (0 on little-endian). */
const LOW_WORD = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1 ? 0 : 1;

/**
 * The Cholesky factor of a principal submatrix `M_SS` of a fixed symmetric positive definite m × m
 * matrix, kept up to date as indices enter and leave S: adding an index costs O(|S|²) (one more
 * row of the factor), removing one O(|S|²) (Givens rotations restore the triangle; Golub & Van
 * Loan, "Matrix Computations", §6.5.4), against O(|S|³) for a new factorization. Active-set
 * solvers change S by a few indices per step, which makes each step quadratic instead of cubic.
 * New rows, and rows refactored, go through the blocked kernel of `choleskyInPlace`, with its hot
 * loop in WebAssembly SIMD where available (the factor then lives in WebAssembly memory; call
 * {@link release} when done, for the next factor to reuse it).
 *
 * Every buffer is allocated once, with the object: an active-set solver moves one factor through
 * thousands of sets, and at m = 64 allocating per move costs more than the arithmetic. Index sets
 * are passed as the first `count` entries of an array (typed or not), so callers can reuse theirs.
 */
export class UpdatableCholesky {
  /** The indices of S in the order of the factor's rows: the first {@link size} entries. */
  readonly order: Int32Array;
  private count = 0;
  /** Row-major lower-triangular factor with row stride m: `L Lᵀ = M_SS`. */
  private readonly l: Float64Array;
  /** The SIMD loops where WebAssembly has them (`l` and `order` then live in its memory). */
  private readonly simd: WasmCholesky | null;
  /** The kernel's rows in SIMD (see `choleskyInPlace`). */
  private readonly rows: ((i: number, count: 1 | 4) => number) | undefined;
  /** Scratch marks for set differences: `mark[i] === stamp` means "i is in the set marked". */
  private readonly mark: Int32Array;
  private stamp = 0;
  /** The plan {@link moveCost} last computed, for {@link applyPlan}; any change to S drops it. */
  private planned = false;
  private planTarget: ArrayLike<number> = [];
  private planCount = 0;
  private rotationCost = 0;
  private refactorCost = 0;
  private firstLeaving = 0;
  /** Leaving indices from the last position back, and entering ones in the target's order. */
  private readonly leaving: Int32Array;
  private leavingCount = 0;
  private readonly entering: Int32Array;
  private enteringCount = 0;
  /** Sort keys (see {@link sortSurestFirst}), with a view on their 32-bit words. */
  private readonly keys: Float64Array;
  private readonly keyWords: Uint32Array;

  /** `matrix`: flat row-major m × m, symmetric positive definite. */
  constructor(
    private readonly matrix: Float64Array,
    private readonly m: number,
  ) {
    this.simd = m >= SIMD_FROM ? wasmCholesky(m) : null;
    this.l = this.simd?.matrix ?? new Float64Array(m * m);
    this.rows = this.simd?.rows;
    this.mark = new Int32Array(m);
    this.order = this.simd?.order ?? new Int32Array(m);
    this.simd?.source.set(matrix.subarray(0, m * m));
    this.leaving = new Int32Array(m);
    this.entering = new Int32Array(m);
    this.keys = new Float64Array(m);
    this.keyWords = new Uint32Array(this.keys.buffer);
  }

  /**
   * Hands the WebAssembly memory of the factor back for the next factor to reuse (setting one up
   * costs more than a small solve): this factor must not be used after.
   */
  release(): void {
    this.count = 0;
    this.planned = false;
    this.simd?.release();
  }

  /** The number of indices in S. */
  get size(): number {
    return this.count;
  }

  /** The indices of S, in the order of the factor's rows (a copy). */
  get indices(): number[] {
    return Array.from(this.order.subarray(0, this.count));
  }

  /**
   * Factorizes `M_SS` anew for the first `count` of `indices` (in that order: put last the
   * indices likeliest to leave, removing them is then cheapest); false if it is not numerically
   * positive definite.
   */
  reset(indices: ArrayLike<number>, count = indices.length): boolean {
    this.count = 0;
    return this.append(indices, count);
  }

  /**
   * Adds the first `count` of `entering` (not in S) as the last rows of the factor, all at once
   * with the blocked kernel; false if a pivot is not positive (S then holds the indices before
   * it).
   */
  append(entering: ArrayLike<number>, count = entering.length): boolean {
    const { l, m, matrix, order } = this;
    this.planned = false;
    const k = this.count;
    for (let e = 0; e < count; e++) order[k + e] = entering[e];
    const n = k + count;
    if (this.simd) this.simd.gatherRows(k, n);
    else {
      for (let i = k; i < n; i++) {
        const source = order[i] * m;
        const row = i * m;
        for (let q = 0; q <= i; q++) l[row + q] = matrix[source + order[q]];
      }
    }
    const failed = choleskyInPlace(l, n, m, k, this.rows);
    this.count = failed >= 0 ? failed : n;
    return failed < 0;
  }

  /**
   * The cost of moving S to the first `count` of `target`, in multiply-adds of the blocked kernel:
   * the cheaper of updating the factor (an entering index about n²/2; a leaving one at position p
   * about 2(k − p)² rotations, counted twice as they run at about half the speed) and refactoring
   * it from the first leaving position p₀ on ((n³ − p₀³)/6: the rows above p₀ stay as they are;
   * p₀ = 0 is a new factorization). The plan is kept for {@link applyPlan}.
   */
  moveCost(target: ArrayLike<number>, count = target.length): number {
    this.plan(target, count);
    return Math.min(this.rotationCost, this.refactorCost);
  }

  /**
   * Brings S to the first `count` of `target` by updates, or by refactoring the rows from the
   * first leaving one on, when that is cheaper (see {@link moveCost}). Refactored rows come in
   * `target`'s order or, when `scores` is given, by decreasing `scores[index]` (surest first, see
   * {@link reset}); false if a pivot is not positive (S is then in an unspecified state: call
   * `reset`).
   */
  moveTo(target: ArrayLike<number>, count = target.length, scores?: Float64Array): boolean {
    this.plan(target, count);
    return this.applyPlan(scores);
  }

  /**
   * {@link moveTo} the target last priced by {@link moveCost}, whose entries must not have changed
   * since; S must not have changed either (it throws if it did).
   */
  applyPlan(scores?: Float64Array): boolean {
    if (!this.planned) throw new Error('UpdatableCholesky.applyPlan: no current plan.');
    this.planned = false;
    const { order, mark } = this;
    if (this.rotationCost <= this.refactorCost) {
      for (let e = 0; e < this.leavingCount; e++) this.remove(this.leaving[e]);
      return this.append(this.entering, this.enteringCount);
    }
    // The rest of the target goes into `entering`'s buffer, which the plan no longer needs.
    const kept = ++this.stamp;
    for (let p = 0; p < this.firstLeaving; p++) mark[order[p]] = kept;
    const { planTarget, planCount } = this;
    const rest = this.entering;
    let restCount = 0;
    for (let t = 0; t < planCount; t++) {
      const index = planTarget[t];
      if (mark[index] !== kept) rest[restCount++] = index;
    }
    if (scores) this.sortSurestFirst(rest, restCount, scores);
    this.count = this.firstLeaving;
    return this.append(rest, restCount);
  }

  /**
   * Sorts the first `count` of `indices` by decreasing score, with the engine's numeric sort of a
   * typed array (several times faster than a comparator): each key is −score with its low 32
   * mantissa bits replaced by the index, which carries the index along and perturbs the key by
   * under 2⁻²⁰ of itself, so scores more than 2⁻¹⁹ apart keep their order (the order is a
   * heuristic: only far larger differences matter).
   */
  private sortSurestFirst(indices: Int32Array, count: number, scores: Float64Array): void {
    const { keys, keyWords } = this;
    for (let t = 0; t < count; t++) {
      keys[t] = -scores[indices[t]];
      keyWords[2 * t + LOW_WORD] = indices[t];
    }
    if (count <= 32) {
      // Insertion sort: for a few keys, cheaper than the call into the engine's sort.
      for (let t = 1; t < count; t++) {
        const key = keys[t];
        let u = t - 1;
        for (; u >= 0 && keys[u] > key; u--) keys[u + 1] = keys[u];
        keys[u + 1] = key;
      }
    } else keys.subarray(0, count).sort();
    for (let t = 0; t < count; t++) indices[t] = keyWords[2 * t + LOW_WORD];
  }

  /** The ways from S to `target`: leaving indices (from the last position back), entering ones. */
  private plan(target: ArrayLike<number>, n: number): void {
    const { order, mark, leaving, entering } = this;
    const k = this.count;
    const present = ++this.stamp;
    for (let p = 0; p < k; p++) mark[order[p]] = present;
    let enteringCount = 0;
    for (let t = 0; t < n; t++)
      if (mark[target[t]] !== present) entering[enteringCount++] = target[t];
    const wanted = ++this.stamp;
    for (let t = 0; t < n; t++) mark[target[t]] = wanted;
    let rotationCost = (enteringCount * n * n) / 2;
    // From the last position back: each removal then leaves the earlier positions where they are.
    let leavingCount = 0;
    let firstLeaving = k;
    for (let p = k - 1; p >= 0; p--) {
      if (mark[order[p]] === wanted) continue;
      leaving[leavingCount++] = order[p];
      rotationCost += 4 * (k - p) * (k - p);
      firstLeaving = p;
    }
    this.planned = true;
    this.planTarget = target;
    this.planCount = n;
    this.enteringCount = enteringCount;
    this.leavingCount = leavingCount;
    this.firstLeaving = firstLeaving;
    this.rotationCost = rotationCost;
    this.refactorCost = (n * n * n - firstLeaving * firstLeaving * firstLeaving) / 6;
  }

  /** Adds `index` to S (one more row of the factor); false if the new pivot is not positive. */
  add(index: number): boolean {
    this.planned = false;
    const { l, m, matrix, order } = this;
    const k = this.count;
    const row = k * m;
    for (let q = 0; q < k; q++) {
      const entry = matrix[order[q] * m + index] - dot(l, row, l, q * m, q);
      l[row + q] = entry / l[q * m + q];
    }
    const pivot = matrix[index * m + index] - dot(l, row, l, row, k);
    if (!(pivot > 0)) return false;
    l[row + k] = Math.sqrt(pivot);
    order[k] = index;
    this.count = k + 1;
    return true;
  }

  /** Removes `index` from S (which must hold it). */
  remove(index: number): void {
    this.planned = false;
    const { l, m, order } = this;
    const k = this.count - 1;
    let position = 0;
    while (order[position] !== index) position++;
    order.copyWithin(position, position + 1, k + 1);
    this.count = k;
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

  /**
   * `target[r] = Σ_t M[r, order[t]] · coefficients[t]` (t < {@link size}) for the first
   * `rowCount` indices r of `rows`: the product of the columns S of M with a vector, on the rows
   * asked for. In WebAssembly it runs over whole rows of M (as `M_S,: ᵀ` times the vector, M being
   * symmetric) in SIMD, otherwise on those rows only, gathering the columns of S.
   */
  multiply(
    rows: Int32Array,
    rowCount: number,
    coefficients: Float64Array,
    target: Float64Array,
  ): void {
    const k = this.count;
    if (this.simd) {
      const { vector, target: sums } = this.simd;
      for (let t = 0; t < k; t++) vector[t] = coefficients[t];
      this.simd.addRows(k);
      for (let r = 0; r < rowCount; r++) target[rows[r]] = sums[rows[r]];
      return;
    }
    const { matrix, m, order } = this;
    // Four rows at a time: each column index and coefficient loaded serves four multiply-adds.
    let r = 0;
    for (; r + 3 < rowCount; r += 4) {
      const a0 = rows[r] * m;
      const a1 = rows[r + 1] * m;
      const a2 = rows[r + 2] * m;
      const a3 = rows[r + 3] * m;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < k; t++) {
        const c = order[t];
        const z = coefficients[t];
        s0 += matrix[a0 + c] * z;
        s1 += matrix[a1 + c] * z;
        s2 += matrix[a2 + c] * z;
        s3 += matrix[a3 + c] * z;
      }
      target[rows[r]] = s0;
      target[rows[r + 1]] = s1;
      target[rows[r + 2]] = s2;
      target[rows[r + 3]] = s3;
    }
    for (; r < rowCount; r++) {
      const a = rows[r] * m;
      let s = 0;
      for (let t = 0; t < k; t++) s += matrix[a + order[t]] * coefficients[t];
      target[rows[r]] = s;
    }
  }

  /**
   * Solves `M_SS z = rhs` (`rhs` and `z` ordered like {@link order}), into `out` when given (its
   * first {@link size} entries) and otherwise into a new array.
   */
  solve(rhs: ArrayLike<number>, out?: Float64Array): Float64Array {
    const { l, m } = this;
    const k = this.count;
    const z = out ?? new Float64Array(k);
    if (this.simd) {
      const { vector } = this.simd;
      for (let t = 0; t < k; t++) vector[t] = rhs[t];
      this.simd.solve(k);
      for (let t = 0; t < k; t++) z[t] = vector[t];
      return z;
    }
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
