/**
 * The loops of the dual-cone QP's factors (`UpdatableCholesky`, `inversePositiveDefinite`) as
 * WebAssembly functions with 128-bit SIMD: the blocked Cholesky kernel (in JavaScript over 40% of
 * UPGrad's time at m = 256), the triangular solves, the gathering of new rows, the products with
 * G, and the two products of an inverse. JavaScript has no vector arithmetic and checks the
 * bounds of every typed-array access: at about 2.5 GMAC/s it is far from what the processor can
 * do. Two float64 lanes per instruction and no bounds checks make these loops about three times
 * faster (the kernel: 8–10 GMAC/s at k = 128–200).
 *
 * The module is assembled here, at first use, from the instruction lists below (about 6 kB),
 * rather than shipped as an opaque binary: what it computes can be read and changed in this file.
 * Where WebAssembly or its SIMD extension is missing (or forbidden, by a content security
 * policy), or its memory cannot be had, {@link wasmCholesky} and {@link wasmInverse} return null
 * and the JavaScript loops are used instead: the same arithmetic up to rounding.
 */
import {
  Code,
  F64,
  I32,
  V128,
  compileModule,
  type WebAssemblyApi,
  moduleOverImportedMemory,
} from '../wasm/assembler';

/**
 * A factor of a principal submatrix of an m × m matrix, in WebAssembly memory, with the loops of
 * `UpdatableCholesky` that run there bound to it.
 */
export interface WasmCholesky {
  /** The factor, m × m row-major (its initial entries are arbitrary). */
  readonly matrix: Float64Array;
  /** The matrix whose principal submatrices are factorized, m × m row-major, to be filled. */
  readonly source: Float64Array;
  /** The indices of the submatrix, in the order of the factor's rows. */
  readonly order: Int32Array;
  /** Vectors of m float64: right-hand side and solution of {@link solve}; {@link addRows}. */
  readonly vector: Float64Array;
  readonly target: Float64Array;
  /**
   * Rows i..i + count − 1 of the factor being computed, entirely (see {@link blockBody}): the first
   * of them whose pivot is not positive, or −1. The `rows` argument of `choleskyInPlace`.
   */
  rows(i: number, count: 1 | 4): number;
  /** Rows k..n−1 of `matrix`, up to the diagonal: `source[order[i], order[q]]`, q ≤ i. */
  gatherRows(k: number, n: number): void;
  /**
   * Solves `L Lᵀ z = b` in place in the first k entries of `vector`, with `L` the k × k factor in
   * `matrix` (the triangular solves of `UpdatableCholesky.solve`).
   */
  solve(k: number): void;
  /** `target = Σ_{t < k} vector[t] · source[order[t], :]`, over whole rows. */
  addRows(k: number): void;
  /** Hands the memory back for a later {@link wasmCholesky}: nothing of it must be used after. */
  release(): void;
}

/** The module's functions (byte addresses, sizes in entries). */
interface Exports {
  block4: (factor: number, i: number, m: number) => number;
  block1: (factor: number, i: number, m: number) => number;
  lowerInverse: (l: number, w: number, n: number) => void;
  gramLower: (w: number, h: number, n: number) => void;
  gatherRows: (
    factor: number,
    source: number,
    order: number,
    k: number,
    n: number,
    m: number,
  ) => void;
  solve: (factor: number, vector: number, k: number, m: number) => void;
  addRows: (
    target: number,
    source: number,
    order: number,
    k: number,
    coefficients: number,
    m: number,
  ) => void;
}

/** A module instance with its own memory. */
interface Slot {
  memory: { buffer: ArrayBuffer };
  exports: Exports;
}

/** The compiled module with the API that made it; null where there is none (or no SIMD). */
let compiled: { api: WebAssemblyApi; module: object } | null | undefined;
/**
 * Released slots, for the next factors: setting up one costs 20–90 µs (about a whole UPGrad
 * weighting at m = 16), and a solver needs two per call.
 */
const idle: Slot[] = [];
const IDLE_MAX = 4;
/** Nor more than this many bytes: past m ≈ 1000 a slot is worth setting up anew each time. */
const IDLE_MAX_BYTES = 32 * 2 ** 20;

/** Keeps `slot` for reuse if the pool has room for it. */
function keep(slot: Slot): void {
  let bytes = slot.memory.buffer.byteLength;
  for (const other of idle) bytes += other.memory.buffer.byteLength;
  if (idle.length < IDLE_MAX && bytes <= IDLE_MAX_BYTES) idle.push(slot);
}

/**
 * A factor for submatrices of an `m × m` matrix in WebAssembly memory, with the SIMD loops bound
 * to it, or null where WebAssembly SIMD is not available.
 *
 * @example
 * ```ts
 * const simd = wasmCholesky(2);
 * if (simd) {
 *   simd.matrix.set([4, 0, 2, 5]);
 *   choleskyInPlace(simd.matrix, 2, 2, 0, simd.rows); // -1; simd.matrix is now [2, 0, 1, 2]
 *   simd.release();
 * }
 * ```
 */
export function wasmCholesky(m: number): WasmCholesky | null {
  if (compiled === undefined) compiled = compileModule(assemble());
  if (compiled === null) return null;
  // Layout: factor, source (m² float64 each), vector, target (m float64 each), order (m int32).
  const square = m * m * 8;
  const [factor, source, vector, target] = [0, square, 2 * square, 2 * square + 8 * m];
  const orderAt = target + 8 * m;
  const bytes = orderAt + 4 * m;
  const slot = takeSlot(compiled, bytes);
  if (slot === null) return null;
  const { buffer } = slot.memory;
  const run = slot.exports;
  let released = false;
  return {
    matrix: new Float64Array(buffer, factor, m * m),
    source: new Float64Array(buffer, source, m * m),
    order: new Int32Array(buffer, orderAt, m),
    vector: new Float64Array(buffer, vector, m),
    target: new Float64Array(buffer, target, m),
    rows: (i: number, count: number) =>
      count === 4 ? run.block4(factor, i, m) : run.block1(factor, i, m),
    gatherRows: (k: number, n: number) => run.gatherRows(factor, source, orderAt, k, n, m),
    solve: (k: number) => run.solve(factor, vector, k, m),
    addRows: (k: number) => run.addRows(target, source, orderAt, k, vector, m),
    release: () => {
      if (released) return;
      released = true;
      keep(slot);
    },
  };
}

/** Three n × n matrices in WebAssembly memory and the loops of an inverse through them. */
export interface WasmInverse {
  /** The matrix, then its Cholesky factor `L` (with {@link rows} for `choleskyInPlace`). */
  readonly l: Float64Array;
  /** `W = L⁻¹` after {@link lowerInverse}; then the lower triangle of `WᵀW` in `h`. */
  readonly w: Float64Array;
  readonly h: Float64Array;
  rows(i: number, count: 1 | 4): number;
  lowerInverse(): void;
  gramLower(): void;
  release(): void;
}

/**
 * See {@link WasmInverse}; null where WebAssembly SIMD is not available (as used by
 * `inversePositiveDefinite`).
 *
 * @example
 * ```ts
 * const simd = wasmInverse(16); // l, w, h: three 16 × 16 matrices
 * simd?.release();
 * ```
 */
export function wasmInverse(n: number): WasmInverse | null {
  if (compiled === undefined) compiled = compileModule(assemble());
  if (compiled === null) return null;
  const square = n * n * 8;
  const slot = takeSlot(compiled, 3 * square);
  if (slot === null) return null;
  const { buffer } = slot.memory;
  const run = slot.exports;
  let released = false;
  return {
    l: new Float64Array(buffer, 0, n * n),
    w: new Float64Array(buffer, square, n * n),
    h: new Float64Array(buffer, 2 * square, n * n),
    rows: (i: number, count: number) => (count === 4 ? run.block4(0, i, n) : run.block1(0, i, n)),
    lowerInverse: () => run.lowerInverse(0, square, n),
    gramLower: () => run.gramLower(square, 2 * square, n),
    release: () => {
      if (released) return;
      released = true;
      keep(slot);
    },
  };
}

/**
 * The smallest idle slot of at least `bytes`, or a new one; null when the memory cannot be had
 * (past 2³¹ bytes the module's signed index arithmetic would overflow; or the engine refuses it).
 */
function takeSlot(module: { api: WebAssemblyApi; module: object }, bytes: number): Slot | null {
  if (bytes >= 2 ** 31) return null;
  let best = -1;
  for (let k = 0; k < idle.length; k++) {
    const size = idle[k].memory.buffer.byteLength;
    if (size >= bytes && (best < 0 || size < idle[best].memory.buffer.byteLength)) best = k;
  }
  if (best >= 0) return idle.splice(best, 1)[0];
  try {
    const memory = new module.api.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
    const instance = new module.api.Instance(module.module, { env: { memory } });
    return { memory, exports: instance.exports as unknown as Exports };
  } catch {
    return null;
  }
}

/**
 * `block(base, i, m)`: rows i..i + width − 1 of the factor (width 4, or 1 for the last rows)
 * entirely, as `choleskyInPlace` does in JavaScript: the column pairs (q, q + 1) with q + 1 < i
 * (the sums over p two entries at a time in the two lanes of each accumulator, then added: per
 * step, six vector loads for sixteen multiply-adds), the last column when i is odd, then the
 * diagonal block from its inner products over the columns before it (ten sums for four rows,
 * in the lanes of ten accumulators) and its own small factorization. Returns the first row
 * whose pivot is not positive (the rows before it are stored), or −1.
 */
function blockBody(width: 1 | 4): number[] {
  const [base, i, m] = [0, 1, 2];
  const [stride, q, rq, p, qBytes, iBytes, pairEnd] = [3, 4, 5, 6, 7, 8, 9];
  const rows = [10, 11, 12, 13];
  const acc = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23]; // v128
  const x = [24, 25, 26, 27]; // v128
  const f = 28; // f64 locals from here
  const sums = Array.from({ length: 10 }, (_, k) => f + k); // S_ab, a ≥ b, in `pairs` order
  const [d, value] = [f + 10, f + 11];
  const l = Array.from({ length: 16 }, (_, k) => f + 12 + k); // L_ab of the block, 4a + b
  const xs = [f + 28, f + 29, f + 30, f + 31]; // L_a,i−1
  const pairs: [number, number][] = [];
  for (let a = 0; a < width; a++) for (let b = 0; b <= a; b++) pairs.push([a, b]);
  const code = new Code();
  const laneSum = (local: number) =>
    code.get(local).f64x2ExtractLane(0).get(local).f64x2ExtractLane(1).f64Add();
  code.get(m).i32Const(3).i32Shl().set(stride);
  code.get(base).get(i).get(stride).i32Mul().i32Add().set(rows[0]);
  for (let k = 1; k < width; k++)
    code
      .get(rows[k - 1])
      .get(stride)
      .i32Add()
      .set(rows[k]);
  code.get(i).i32Const(3).i32Shl().set(iBytes);
  // Column pairs (q, q + 1), q + 1 < i.
  code.i32Const(0).set(q).get(base).set(rq);
  code.block().loop();
  {
    code.get(q).i32Const(1).i32Add().get(i).i32GeS().brIf(1);
    for (let k = 0; k < 2 * width; k++) code.v128Zero().set(acc[k]);
    code.get(q).i32Const(3).i32Shl().set(qBytes);
    code.i32Const(0).set(p);
    code.block().loop();
    {
      code.get(p).get(qBytes).i32GeU().brIf(1);
      code.get(rq).get(p).i32Add().v128Load().set(x[1]);
      code.get(rq).get(stride).i32Add().get(p).i32Add().v128Load().set(x[2]);
      for (let k = 0; k < width; k++) {
        code.get(rows[k]).get(p).i32Add().v128Load().set(x[0]);
        code.get(acc[k]).get(x[0]).get(x[1]).f64x2Mul().f64x2Add().set(acc[k]);
        code
          .get(acc[width + k])
          .get(x[0])
          .get(x[2])
          .f64x2Mul()
          .f64x2Add()
          .set(acc[width + k]);
      }
      code.get(p).i32Const(16).i32Add().set(p).br(0);
    }
    code.end().end();
    // L_tq = (A_tq − Σ) / L_qq; L_t,q+1 = (A_t,q+1 − Σ − L_tq L_q+1,q) / L_q+1,q+1.
    code.get(rq).get(qBytes).i32Add().f64Load().set(d);
    for (let k = 0; k < width; k++) {
      code.get(rows[k]).get(qBytes).i32Add().f64Load();
      laneSum(acc[k]);
      code.f64Sub().get(d).f64Div().set(value);
      code.get(rows[k]).get(qBytes).i32Add().get(value).f64Store();
      code.get(rows[k]).get(qBytes).i32Add();
      code.get(rows[k]).get(qBytes).i32Add().f64Load(8);
      laneSum(acc[width + k]);
      code.f64Sub();
      code.get(value).get(rq).get(stride).i32Add().get(qBytes).i32Add().f64Load().f64Mul().f64Sub();
      code.get(rq).get(stride).i32Add().get(qBytes).i32Add().f64Load(8).f64Div();
      code.f64Store(8);
    }
    code.get(q).i32Const(2).i32Add().set(q);
    code.get(rq).get(stride).i32Add().get(stride).i32Add().set(rq);
    code.br(0);
  }
  code.end().end();
  // The last column when i is odd: q = i − 1 (even, so its sum is over pairs only).
  code.get(q).get(i).i32LtS().if();
  {
    for (let k = 0; k < width; k++) code.v128Zero().set(acc[k]);
    code.get(q).i32Const(3).i32Shl().set(qBytes);
    code.i32Const(0).set(p);
    code.block().loop();
    {
      code.get(p).get(qBytes).i32GeU().brIf(1);
      code.get(rq).get(p).i32Add().v128Load().set(x[1]);
      for (let k = 0; k < width; k++) {
        code.get(acc[k]).get(rows[k]).get(p).i32Add().v128Load().get(x[1]).f64x2Mul().f64x2Add();
        code.set(acc[k]);
      }
      code.get(p).i32Const(16).i32Add().set(p).br(0);
    }
    code.end().end();
    code.get(rq).get(qBytes).i32Add().f64Load().set(d);
    for (let k = 0; k < width; k++) {
      code.get(rows[k]).get(qBytes).i32Add();
      code.get(rows[k]).get(qBytes).i32Add().f64Load();
      laneSum(acc[k]);
      code.f64Sub().get(d).f64Div().f64Store();
    }
  }
  code.end();
  // The diagonal block's inner products over the columns before it: pairs of columns, then the
  // last one when i is odd.
  pairs.forEach((_, k) => code.v128Zero().set(acc[k]));
  code.get(i).i32Const(1).i32ShrU().i32Const(4).i32Shl().set(pairEnd);
  code.i32Const(0).set(p);
  code.block().loop();
  {
    code.get(p).get(pairEnd).i32GeU().brIf(1);
    for (let a = 0; a < width; a++) code.get(rows[a]).get(p).i32Add().v128Load().set(x[a]);
    pairs.forEach(([a, b], k) => {
      code.get(acc[k]).get(x[a]).get(x[b]).f64x2Mul().f64x2Add().set(acc[k]);
    });
    code.get(p).i32Const(16).i32Add().set(p).br(0);
  }
  code.end().end();
  pairs.forEach(([a, b], k) => {
    code
      .get(rows[a])
      .get(iBytes)
      .i32Add()
      .f64Load(8 * b);
    laneSum(acc[k]);
    code.f64Sub().set(sums[k]);
  });
  code.get(pairEnd).get(iBytes).i32LtU().if();
  {
    for (let a = 0; a < width; a++) code.get(rows[a]).get(pairEnd).i32Add().f64Load().set(xs[a]);
    pairs.forEach(([a, b], k) => {
      code.get(sums[k]).get(xs[a]).get(xs[b]).f64Mul().f64Sub().set(sums[k]);
    });
  }
  code.end();
  // The block's factorization, row by row; a row is stored once its pivot is positive.
  const at = (a: number, b: number) => pairs.findIndex(([r, c]) => r === a && c === b);
  for (let a = 0; a < width; a++) {
    for (let b = 0; b < a; b++) {
      // L_ab = (S_ab − Σ_{c<b} L_ac L_bc) / L_bb
      code.get(sums[at(a, b)]);
      for (let c = 0; c < b; c++)
        code
          .get(l[4 * a + c])
          .get(l[4 * b + c])
          .f64Mul()
          .f64Sub();
      code
        .get(l[4 * b + b])
        .f64Div()
        .set(l[4 * a + b]);
    }
    code.get(sums[at(a, a)]);
    for (let c = 0; c < a; c++)
      code
        .get(l[4 * a + c])
        .get(l[4 * a + c])
        .f64Mul()
        .f64Sub();
    code.set(value);
    code.get(value).f64Zero().f64Gt().i32Eqz().if();
    code.get(i).i32Const(a).i32Add().return();
    code.end();
    code
      .get(value)
      .f64Sqrt()
      .set(l[4 * a + a]);
    for (let b = 0; b <= a; b++) {
      code
        .get(rows[a])
        .get(iBytes)
        .i32Add()
        .get(l[4 * a + b])
        .f64Store(8 * b);
    }
  }
  code.i32Const(-1);
  return code.body([
    [11, I32],
    [14, V128],
    [32, F64],
  ]);
}

/**
 * `solve(base, vector, k, m)`: forward then back substitution with the k × k factor at byte
 * address `base` (row stride m), in place on the k float64 at byte address `vector`, the same
 * loops as `UpdatableCholesky.solve` with two lanes per instruction: the forward pass two rows at
 * a time against each pair of z loaded, the backward pass two columns of Lᵀ at a time.
 */
function solveBody(): number[] {
  const [base, z, k, m] = [0, 1, 2, 3];
  const [stride, t, r, s, j, tBytes, end] = [4, 5, 6, 7, 8, 9, 10];
  const [acc0, acc1, pair, splat0, splat1] = [11, 12, 13, 14, 15];
  const [zt, zh] = [16, 17];
  const code = new Code();
  /** Adds the two lanes of a v128 local. */
  const laneSum = (local: number) =>
    code.get(local).f64x2ExtractLane(0).get(local).f64x2ExtractLane(1).f64Add();
  code.get(m).i32Const(3).i32Shl().set(stride);
  // L y = b, rows t and t + 1.
  code.i32Const(0).set(t);
  code.block().loop();
  {
    code.get(t).i32Const(1).i32Add().get(k).i32GeS().brIf(1);
    code.get(base).get(t).get(stride).i32Mul().i32Add().set(r);
    code.get(r).get(stride).i32Add().set(s);
    code.v128Zero().set(acc0).v128Zero().set(acc1);
    code.get(t).i32Const(3).i32Shl().set(tBytes);
    code.i32Const(0).set(j);
    code.block().loop();
    {
      code.get(j).get(tBytes).i32GeU().brIf(1); // t is even: pairs only
      code.get(z).get(j).i32Add().v128Load().set(pair);
      code.get(acc0).get(r).get(j).i32Add().v128Load().get(pair).f64x2Mul().f64x2Add().set(acc0);
      code.get(acc1).get(s).get(j).i32Add().v128Load().get(pair).f64x2Mul().f64x2Add().set(acc1);
      code.get(j).i32Const(16).i32Add().set(j).br(0);
    }
    code.end().end();
    code.get(z).get(tBytes).i32Add().f64Load();
    laneSum(acc0);
    code.f64Sub().get(r).get(tBytes).i32Add().f64Load().f64Div().set(zt);
    code.get(z).get(tBytes).i32Add().get(zt).f64Store();
    code.get(z).get(tBytes).i32Add(); // address of z[t + 1]
    code.get(z).get(tBytes).i32Add().f64Load(8);
    laneSum(acc1);
    code.f64Sub().get(s).get(tBytes).i32Add().f64Load().get(zt).f64Mul().f64Sub();
    code.get(s).get(tBytes).i32Add().f64Load(8).f64Div().f64Store(8);
    code.get(t).i32Const(2).i32Add().set(t).br(0);
  }
  code.end().end();
  // The last row when k is odd.
  code.get(t).get(k).i32LtS().if();
  {
    code.get(base).get(t).get(stride).i32Mul().i32Add().set(r);
    code.v128Zero().set(acc0);
    code.get(t).i32Const(3).i32Shl().set(tBytes);
    code.i32Const(0).set(j);
    code.block().loop();
    {
      code.get(j).get(tBytes).i32GeU().brIf(1);
      code.get(acc0).get(r).get(j).i32Add().v128Load();
      code.get(z).get(j).i32Add().v128Load().f64x2Mul().f64x2Add().set(acc0);
      code.get(j).i32Const(16).i32Add().set(j).br(0);
    }
    code.end().end();
    code.get(z).get(tBytes).i32Add();
    code.get(z).get(tBytes).i32Add().f64Load();
    laneSum(acc0);
    code.f64Sub().get(r).get(tBytes).i32Add().f64Load().f64Div().f64Store();
  }
  code.end();
  // Lᵀ z = y, columns i and i − 1 of Lᵀ (rows of L), i = t.
  code.get(k).i32Const(1).i32Sub().set(t);
  code.block().loop();
  {
    code.get(t).i32Const(1).i32LtS().brIf(1);
    code.get(base).get(t).get(stride).i32Mul().i32Add().set(r);
    code.get(r).get(stride).i32Sub().set(s);
    code.get(t).i32Const(3).i32Shl().set(tBytes);
    code.get(tBytes).i32Const(8).i32Sub().set(end); // byte offset of column i − 1
    code.get(z).get(tBytes).i32Add().f64Load().get(r).get(tBytes).i32Add().f64Load().f64Div();
    code.set(zt);
    code.get(z).get(tBytes).i32Add().get(zt).f64Store();
    code.get(z).get(end).i32Add().f64Load();
    code.get(r).get(end).i32Add().f64Load().get(zt).f64Mul().f64Sub();
    code.get(s).get(end).i32Add().f64Load().f64Div().set(zh);
    code.get(z).get(end).i32Add().get(zh).f64Store();
    code.get(zt).f64x2Splat().set(splat0).get(zh).f64x2Splat().set(splat1);
    code.i32Const(0).set(j);
    code.block().loop();
    {
      code.get(j).i32Const(16).i32Add().get(end).i32GtU().brIf(1);
      code.get(z).get(j).i32Add(); // address
      code.get(z).get(j).i32Add().v128Load();
      code.get(r).get(j).i32Add().v128Load().get(splat0).f64x2Mul();
      code.get(s).get(j).i32Add().v128Load().get(splat1).f64x2Mul().f64x2Add();
      code.f64x2Sub().v128Store();
      code.get(j).i32Const(16).i32Add().set(j).br(0);
    }
    code.end().end();
    code.get(j).get(end).i32LtU().if();
    {
      code.get(z).get(j).i32Add();
      code.get(z).get(j).i32Add().f64Load();
      code.get(r).get(j).i32Add().f64Load().get(zt).f64Mul();
      code.get(s).get(j).i32Add().f64Load().get(zh).f64Mul().f64Add();
      code.f64Sub().f64Store();
    }
    code.end();
    code.get(t).i32Const(2).i32Sub().set(t).br(0);
  }
  code.end().end();
  code.get(t).i32Eqz().if();
  code.get(z).get(z).f64Load().get(base).f64Load().f64Div().f64Store();
  code.end();
  return code.body([
    [7, I32],
    [5, V128],
    [2, F64],
  ]);
}

/**
 * `gatherRows(factor, source, order, k, n, m)`: rows k..n−1 of the factor's lower triangle from
 * `source[order[i], order[q]]` (the new rows of `UpdatableCholesky.append`).
 */
function gatherRowsBody(): number[] {
  const [factor, source, order, k, n, m] = [0, 1, 2, 3, 4, 5];
  const [stride, i, src, q, end, dst] = [6, 7, 8, 9, 10, 11];
  const code = new Code();
  code.get(m).i32Const(3).i32Shl().set(stride);
  code.get(k).set(i);
  code.block().loop();
  {
    code.get(i).get(n).i32GeS().brIf(1);
    code.get(factor).get(i).get(stride).i32Mul().i32Add().set(dst);
    code.get(source).get(order).get(i).i32Const(2).i32Shl().i32Add().i32Load();
    code.get(stride).i32Mul().i32Add().set(src);
    code.get(i).i32Const(1).i32Add().i32Const(2).i32Shl().set(end);
    code.i32Const(0).set(q);
    code.block().loop();
    {
      code.get(q).get(end).i32GeU().brIf(1);
      code.get(dst);
      code.get(src).get(order).get(q).i32Add().i32Load().i32Const(3).i32Shl().i32Add().f64Load();
      code.f64Store();
      code.get(dst).i32Const(8).i32Add().set(dst);
      code.get(q).i32Const(4).i32Add().set(q).br(0);
    }
    code.end().end();
    code.get(i).i32Const(1).i32Add().set(i).br(0);
  }
  code.end().end();
  return code.body([[6, I32]]);
}

/**
 * `addRows(target, source, order, k, coefficients, m)`: `target = Σ_{t < k} coefficients[t] ·
 * source[order[t], :]`, four rows at a time, two columns per instruction: contiguous passes over
 * whole rows, which in SIMD beat the product with only the columns needed (a gather).
 */
function addRowsBody(): number[] {
  const [target, source, order, k, coefficients, m] = [0, 1, 2, 3, 4, 5];
  const [stride, t, j, pairEnd] = [6, 7, 8, 9];
  const rows = [10, 11, 12, 13];
  const splats = [14, 15, 16, 17];
  const scalars = [18, 19, 20, 21];
  const code = new Code();
  code.get(m).i32Const(3).i32Shl().set(stride);
  code.get(m).i32Const(1).i32ShrU().i32Const(4).i32Shl().set(pairEnd);
  code.i32Const(0).set(j);
  code.block().loop();
  {
    code.get(j).get(stride).i32GeU().brIf(1);
    code.get(target).get(j).i32Add().f64Zero().f64Store();
    code.get(j).i32Const(8).i32Add().set(j).br(0);
  }
  code.end().end();
  /** Rows t..t+width−1: their addresses and coefficients into the locals. */
  const load = (width: number) => {
    for (let w = 0; w < width; w++) {
      code
        .get(source)
        .get(order)
        .get(t)
        .i32Const(2)
        .i32Shl()
        .i32Add()
        .i32Load(4 * w);
      code.get(stride).i32Mul().i32Add().set(rows[w]);
      code
        .get(coefficients)
        .get(t)
        .i32Const(3)
        .i32Shl()
        .i32Add()
        .f64Load(8 * w)
        .set(scalars[w]);
      code.get(scalars[w]).f64x2Splat().set(splats[w]);
    }
  };
  /** `target[j..] += Σ_w c_w row_w[j..]`, pairs of columns, then the last one when m is odd. */
  const columns = (width: number) => {
    code.i32Const(0).set(j);
    code.block().loop();
    {
      code.get(j).get(pairEnd).i32GeU().brIf(1);
      code.get(target).get(j).i32Add();
      code.get(target).get(j).i32Add().v128Load();
      for (let w = 0; w < width; w++) {
        code.get(rows[w]).get(j).i32Add().v128Load().get(splats[w]).f64x2Mul();
        if (w > 0) code.f64x2Add();
      }
      code.f64x2Add().v128Store();
      code.get(j).i32Const(16).i32Add().set(j).br(0);
    }
    code.end().end();
    code.get(j).get(stride).i32LtU().if();
    {
      code.get(target).get(j).i32Add();
      code.get(target).get(j).i32Add().f64Load();
      for (let w = 0; w < width; w++) {
        code.get(rows[w]).get(j).i32Add().f64Load().get(scalars[w]).f64Mul();
        if (w > 0) code.f64Add();
      }
      code.f64Add().f64Store();
    }
    code.end();
  };
  code.i32Const(0).set(t);
  code.block().loop();
  {
    code.get(t).i32Const(3).i32Add().get(k).i32GeS().brIf(1);
    load(4);
    columns(4);
    code.get(t).i32Const(4).i32Add().set(t).br(0);
  }
  code.end().end();
  code.block().loop();
  {
    code.get(t).get(k).i32GeS().brIf(1);
    load(1);
    columns(1);
    code.get(t).i32Const(1).i32Add().set(t).br(0);
  }
  code.end().end();
  return code.body([
    [8, I32],
    [4, V128],
    [4, F64],
  ]);
}

/**
 * Emits `dst[j] ∓= Σ_w c_w · rows_w[j]` over the byte offsets j < end, two columns per
 * instruction, then the last one when their number is odd; the products summed pairwise,
 * `(p₀ + p₁) + (p₂ + p₃)`, as in the JavaScript loops. All arguments but `code`, `width` and
 * `subtract` are locals: addresses, c_w in both lanes (`splats`) and alone (`scalars`).
 */
function combine(
  code: Code,
  dst: number,
  rows: number[],
  splats: number[],
  scalars: number[],
  width: number,
  j: number,
  end: number,
  subtract: boolean,
): void {
  const sum = (scalar: boolean) => {
    for (let w = 0; w < width; w++) {
      code.get(rows[w]).get(j).i32Add();
      if (scalar) code.f64Load().get(scalars[w]).f64Mul();
      else code.v128Load().get(splats[w]).f64x2Mul();
      if (w % 2 === 1) scalar ? code.f64Add() : code.f64x2Add();
      if (w === 3) scalar ? code.f64Add() : code.f64x2Add();
    }
  };
  code.i32Const(0).set(j);
  code.block().loop();
  {
    code.get(j).i32Const(16).i32Add().get(end).i32GtU().brIf(1);
    code.get(dst).get(j).i32Add();
    code.get(dst).get(j).i32Add().v128Load();
    sum(false);
    if (subtract) code.f64x2Sub();
    else code.f64x2Add();
    code.v128Store();
    code.get(j).i32Const(16).i32Add().set(j).br(0);
  }
  code.end().end();
  code.get(j).get(end).i32LtU().if();
  {
    code.get(dst).get(j).i32Add();
    code.get(dst).get(j).i32Add().f64Load();
    sum(true);
    if (subtract) code.f64Sub();
    else code.f64Add();
    code.f64Store();
  }
  code.end();
}

/**
 * `lowerInverse(l, w, n)`: `W = L⁻¹` of the n × n factor at `l` into `w` (zero on entry), row by
 * row, `W_i = (e_i − Σ_{p<i} L_ip W_p) / L_ii`, four earlier rows at a time (as
 * `inversePositiveDefinite` in JavaScript).
 */
function lowerInverseBody(): number[] {
  const [l, w, n] = [0, 1, 2];
  const [stride, i, p, li, wi, j, end] = [3, 4, 5, 6, 7, 8, 9];
  const rows = [10, 11, 12, 13];
  const splats = [14, 15, 16, 17];
  const scalars = [18, 19, 20, 21];
  const d = 22;
  const code = new Code();
  code.get(n).i32Const(3).i32Shl().set(stride);
  code.i32Const(0).set(i);
  code.block().loop();
  {
    code.get(i).get(n).i32GeS().brIf(1);
    code.get(l).get(i).get(stride).i32Mul().i32Add().set(li);
    code.get(w).get(i).get(stride).i32Mul().i32Add().set(wi);
    code.i32Const(0).set(p);
    for (const width of [4, 1]) {
      code.block().loop();
      {
        code
          .get(p)
          .i32Const(width - 1)
          .i32Add()
          .get(i)
          .i32GeS()
          .brIf(1);
        for (let t = 0; t < width; t++) {
          code.get(w).get(p).i32Const(t).i32Add().get(stride).i32Mul().i32Add().set(rows[t]);
          code
            .get(li)
            .get(p)
            .i32Const(3)
            .i32Shl()
            .i32Add()
            .f64Load(8 * t)
            .set(scalars[t]);
          code.get(scalars[t]).f64x2Splat().set(splats[t]);
        }
        // Rows p..p+width−1 of W are zero past column p + width − 1.
        code.get(p).i32Const(width).i32Add().i32Const(3).i32Shl().set(end);
        combine(code, wi, rows, splats, scalars, width, j, end, true);
        code.get(p).i32Const(width).i32Add().set(p).br(0);
      }
      code.end().end();
    }
    code.get(li).get(i).i32Const(3).i32Shl().i32Add().f64Load().set(d);
    code.get(d).f64x2Splat().set(splats[0]);
    code.get(i).i32Const(3).i32Shl().set(end);
    code.i32Const(0).set(j);
    code.block().loop();
    {
      code.get(j).i32Const(16).i32Add().get(end).i32GtU().brIf(1);
      code.get(wi).get(j).i32Add();
      code.get(wi).get(j).i32Add().v128Load().get(splats[0]).f64x2Div().v128Store();
      code.get(j).i32Const(16).i32Add().set(j).br(0);
    }
    code.end().end();
    code.get(j).get(end).i32LtU().if();
    code.get(wi).get(j).i32Add();
    code.get(wi).get(j).i32Add().f64Load().get(d).f64Div().f64Store();
    code.end();
    code.get(wi).get(end).i32Add().f64Const(1).get(d).f64Div().f64Store();
    code.get(i).i32Const(1).i32Add().set(i).br(0);
  }
  code.end().end();
  return code.body([
    [11, I32],
    [4, V128],
    [5, F64],
  ]);
}

/**
 * `gramLower(w, h, n)`: the lower triangle of `WᵀW = Σ_k W_kᵀ W_k` into `h` (zero on entry), by
 * rank-one updates with rows of the lower-triangular W, four at a time (W_ki = 0 for i > k).
 */
function gramLowerBody(): number[] {
  const [w, h, n] = [0, 1, 2];
  const [stride, k, i, hi, j, end, last] = [3, 4, 5, 6, 7, 8, 9];
  const rows = [10, 11, 12, 13];
  const splats = [14, 15, 16, 17];
  const scalars = [18, 19, 20, 21];
  const code = new Code();
  code.get(n).i32Const(3).i32Shl().set(stride);
  code.i32Const(0).set(k);
  for (const width of [4, 1]) {
    code.block().loop();
    {
      code
        .get(k)
        .i32Const(width - 1)
        .i32Add()
        .get(n)
        .i32GeS()
        .brIf(1);
      for (let t = 0; t < width; t++) {
        code.get(w).get(k).i32Const(t).i32Add().get(stride).i32Mul().i32Add().set(rows[t]);
      }
      code.get(k).i32Const(width).i32Add().set(last); // rows i < k + width take them all
      code.i32Const(0).set(i);
      code.block().loop();
      {
        code.get(i).get(last).i32GeS().brIf(1);
        for (let t = 0; t < width; t++) {
          code.get(rows[t]).get(i).i32Const(3).i32Shl().i32Add().f64Load().set(scalars[t]);
          code.get(scalars[t]).f64x2Splat().set(splats[t]);
        }
        code.get(h).get(i).get(stride).i32Mul().i32Add().set(hi);
        code.get(i).i32Const(1).i32Add().i32Const(3).i32Shl().set(end);
        combine(code, hi, rows, splats, scalars, width, j, end, false);
        code.get(i).i32Const(1).i32Add().set(i).br(0);
      }
      code.end().end();
      code.get(k).i32Const(width).i32Add().set(k).br(0);
    }
    code.end().end();
  }
  return code.body([
    [11, I32],
    [4, V128],
    [4, F64],
  ]);
}

/** The module: its functions over an imported memory. */
function assemble(): number[] {
  return moduleOverImportedMemory([
    { name: 'block4', params: 3, returnsI32: true, body: blockBody(4) },
    { name: 'block1', params: 3, returnsI32: true, body: blockBody(1) },
    { name: 'solve', params: 4, body: solveBody() },
    { name: 'gatherRows', params: 6, body: gatherRowsBody() },
    { name: 'addRows', params: 6, body: addRowsBody() },
    { name: 'lowerInverse', params: 3, body: lowerInverseBody() },
    { name: 'gramLower', params: 3, body: gramLowerBody() },
  ]);
}
