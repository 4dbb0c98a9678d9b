/**
 * Two products of the Jacobian-descent step as WebAssembly SIMD loops that run on the wasm
 * backend's own memory: the Gramian `A Bᵀ` of two row-major [m, n] matrices (per-task rows, a
 * Jacobian) and weighted sums of the rows of one (`Σᵢ wᵢ · rowᵢ`, the update).
 *
 * tfjs-wasm sends both to XNNPACK's product, which first packs its second operand, and packs it
 * anew for every tensor it has not seen before: about 5 ns an entry. Here that operand is an
 * [n, m] matrix made in the same step, so packing costs far more than the product (0.6 ms of the
 * 0.7 ms of an 8 × 16384 Gramian); tfjs's other path, for transposed operands, packs nothing but
 * runs a scalar loop at about 1 ns a multiply-add. These loops read both operands in place, four
 * lanes at a time: 2 × 2 rows per pass for the Gramian, four combinations per pass where there are
 * several (`KΔⱼ` in the task Gramian's dense blocks, with the `blocks` attribute: one K for every
 * task's Δⱼ).
 *
 * They are registered as two kernels of the wasm backend (with their gradients) by
 * {@link wasmRowProductsReady}, which says whether the loops can run: WebAssembly SIMD is there,
 * and the backend's memory can be imported (tfjs-wasm 4.x without threads exposes it; a shared,
 * threaded memory does not link, and there XNNPACK is multi-threaded anyway).
 */
import * as tf from '@tensorflow/tfjs';
import {
  Code,
  F32,
  I32,
  V128,
  compileModule,
  type WebAssemblyApi,
  moduleOverImportedMemory,
} from '../wasm/assembler';
import type { KernelArgs, TensorInfo } from './wasm_kernels';

/**
 * `A Bᵀ`, [m, m], of `a` and `b` read as [m, n] (attribute `rows`: m; any shapes of m·n entries).
 */
export const ROW_GRAMIAN = 'TfjsJdRowGramian';
/**
 * `C · M` of `coefficients` ([k, m]) and `matrix` read as [m, n] (any shape of m·n entries),
 * shaped `outShape` (an attribute, of k·n entries). With the attribute `blocks` (default 1),
 * `matrix` is read as `blocks` matrices [m, n] one after the other, each multiplied by C, and the
 * output holds the `blocks` products [k, n] in the same order.
 */
export const ROW_COMBINATIONS = 'TfjsJdRowCombinations';

/** The module's functions (byte addresses in the backend's memory, sizes in entries). */
interface Exports {
  gramian: (out: number, a: number, b: number, m: number, n: number, symmetric: number) => void;
  combine: (out: number, rows: number, weights: number, m: number, n: number) => void;
  combineFour: (out: number, rows: number, weights: number, m: number, n: number) => void;
}

/** The wasm backend's parts these kernels use (tfjs-backend-wasm 4.x). */
interface WasmBackend {
  wasm?: { asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

let compiled: { api: WebAssemblyApi; module: object } | null | undefined;
/** One instance per backend memory; null where that memory cannot be imported. */
const instances = new WeakMap<object, Exports | null>();
let registered = false;
let lastChecked: { backend?: object; ready: boolean } = { ready: false };

/** The loops bound to `backend`'s memory, or null. */
function loopsOf(backend: WasmBackend): Exports | null {
  const memory = backend.wasm?.asm?.memory;
  if (typeof memory !== 'object' || memory === null) return null;
  let found = instances.get(memory);
  if (found === undefined) {
    if (compiled === undefined) compiled = compileModule(assemble());
    found = null;
    if (compiled !== null) {
      try {
        const instance = new compiled.api.Instance(compiled.module, { env: { memory } });
        found = instance.exports as unknown as Exports;
      } catch {
        found = null;
      }
    }
    instances.set(memory, found);
  }
  return found;
}

/**
 * True when the current backend is wasm and the two kernels can run there; registers them (and
 * their gradients) the first time.
 *
 * @example
 * ```ts
 * if (wasmRowProductsReady()) {
 *   const gramian = tf.engine().runKernel(ROW_GRAMIAN, { a, b: a }, { rows: 4 }); // a: [4, n]
 * }
 * ```
 */
export function wasmRowProductsReady(): boolean {
  // Asked for every product of every step: decided once per backend instance.
  const backend = tf.backend();
  if (backend !== lastChecked.backend) {
    const ready = tf.getBackend() === 'wasm' && loopsOf(backend as unknown as WasmBackend) !== null;
    if (ready && !registered) register();
    lastChecked = { backend, ready };
  }
  return lastChecked.ready;
}

/** The byte address of a float32 tensor's values. */
function addressOf(backend: WasmBackend, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}

function register(): void {
  registered = true;
  tf.registerKernel({
    kernelName: ROW_GRAMIAN,
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const { a, b } = args.inputs as unknown as { a: TensorInfo; b: TensorInfo };
      const { rows: m } = args.attrs as unknown as { rows: number };
      const backend = args.backend as unknown as WasmBackend;
      const n = tf.util.sizeFromShape(a.shape) / m;
      const out = backend.makeOutput([m, m], 'float32');
      const symmetric = a.dataId === b.dataId ? 1 : 0;
      loopsOf(backend)!.gramian(
        addressOf(backend, out),
        addressOf(backend, a),
        addressOf(backend, b),
        m,
        n,
        symmetric,
      );
      return out;
    },
  });
  tf.registerKernel({
    kernelName: ROW_COMBINATIONS,
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const { coefficients, matrix } = args.inputs as unknown as {
        coefficients: TensorInfo;
        matrix: TensorInfo;
      };
      const { outShape, blocks = 1 } = args.attrs as unknown as {
        outShape: number[];
        blocks?: number;
      };
      const backend = args.backend as unknown as WasmBackend;
      const [k, m] = coefficients.shape;
      const n = tf.util.sizeFromShape(matrix.shape) / (m * blocks);
      const out = backend.makeOutput(outShape, 'float32');
      const loops = loopsOf(backend)!;
      const [at, weights, rows] = [out, coefficients, matrix].map((t) => addressOf(backend, t));
      for (let block = 0; block < blocks; block++) {
        const [blockOut, blockRows] = [at + 4 * block * k * n, rows + 4 * block * m * n];
        let r = 0;
        for (; r + 4 <= k; r += 4) {
          loops.combineFour(blockOut + 4 * r * n, blockRows, weights + 4 * r * m, m, n);
        }
        for (; r < k; r++)
          loops.combine(blockOut + 4 * r * n, blockRows, weights + 4 * r * m, m, n);
      }
      return out;
    },
  });
  tf.registerGradient({
    kernelName: ROW_GRAMIAN,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const { rows } = attrs as unknown as { rows: number };
      const flat = (t: tf.Tensor) => tf.reshape(t, [rows, -1]);
      return {
        a: () => tf.reshape(tf.matMul(dy as tf.Tensor, flat(b)), a.shape),
        b: () => tf.reshape(tf.matMul(dy as tf.Tensor, flat(a), true, false), b.shape),
      };
    },
  });
  tf.registerGradient({
    kernelName: ROW_COMBINATIONS,
    inputsToSave: ['coefficients', 'matrix'],
    gradFunc: (dy, saved, attrs) => {
      const [coefficients, matrix] = saved;
      const [k, m] = coefficients.shape;
      const { blocks = 1 } = attrs as unknown as { blocks?: number };
      const dyBlocks = () => tf.reshape(dy as tf.Tensor, [blocks, k, -1]);
      const matrices = () => tf.reshape(matrix, [blocks, m, -1]);
      return {
        coefficients: () => tf.sum(tf.matMul(dyBlocks(), matrices(), false, true), 0),
        matrix: () => {
          const repeated = tf.tile(tf.expandDims(coefficients, 0), [blocks, 1, 1]);
          return tf.reshape(tf.matMul(repeated, dyBlocks(), true, false), matrix.shape);
        },
      };
    },
  });
}

/** Sums the four lanes of the vector in `local` onto the stack. */
function laneSum(code: Code, local: number): void {
  code.get(local).f32x4ExtractLane(0).get(local).f32x4ExtractLane(1).f32Add();
  code.get(local).f32x4ExtractLane(2).get(local).f32x4ExtractLane(3).f32Add().f32Add();
}

/** `index + 1` if that is below `count`, else `index`: the second row of a pair, or the same row. */
function pairedRow(code: Code, index: number, count: number, into: number): void {
  code.get(index).i32Const(1).i32Add();
  code.get(index);
  code.get(index).i32Const(1).i32Add().get(count).i32LtS();
  code.select().set(into);
}

/**
 * `gramian(out, a, b, m, n, symmetric)`: `out[i, j] = ⟨a[i, :], b[j, :]⟩` for row-major [m, n]
 * `a`, `b`, by pairs of rows of each (four sums per pass over n, in the lanes of four accumulators;
 * an odd last row pairs with itself). With `symmetric` (a = b) only the pairs j ≥ i are computed,
 * and stored on both sides.
 */
function gramianBody(): number[] {
  const [out, a, b, m, n, symmetric] = [0, 1, 2, 3, 4, 5];
  const [stride, vectorEnd, i, j, i1, j1, pa0, pa1, pb0, pb1, at] = [
    6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  ];
  const accumulators = [17, 18, 19, 20]; // (i, j), (i, j1), (i1, j), (i1, j1)
  const [va0, va1, vb] = [21, 22, 23];
  const sums = [24, 25, 26, 27];
  const [x0, x1, y] = [28, 29, 30];
  const code = new Code();
  code.get(n).i32Const(2).i32Shl().set(stride);
  code.get(n).i32Const(-4).i32And().i32Const(2).i32Shl().set(vectorEnd);
  code.i32Const(0).set(i);
  code.block().loop();
  {
    code.get(i).get(m).i32GeS().brIf(1);
    pairedRow(code, i, m, i1);
    code.get(a).get(i).get(stride).i32Mul().i32Add().set(pa0);
    code.get(a).get(i1).get(stride).i32Mul().i32Add().set(pa1);
    // j from i when symmetric (i is even, so the pairs line up), else from 0.
    code.get(i).i32Const(0).get(symmetric).select().set(j);
    code.block().loop();
    {
      code.get(j).get(m).i32GeS().brIf(1);
      pairedRow(code, j, m, j1);
      code.get(b).get(j).get(stride).i32Mul().i32Add().set(pb0);
      code.get(b).get(j1).get(stride).i32Mul().i32Add().set(pb1);
      for (const acc of accumulators) code.v128Zero().set(acc);
      code.i32Const(0).set(at);
      code.block().loop();
      {
        code.get(at).get(vectorEnd).i32GeS().brIf(1);
        code.get(pa0).get(at).i32Add().v128Load().set(va0);
        code.get(pa1).get(at).i32Add().v128Load().set(va1);
        for (const [pb, left, right] of [
          [pb0, 0, 2],
          [pb1, 1, 3],
        ]) {
          code.get(pb).get(at).i32Add().v128Load().set(vb);
          for (const [acc, va] of [
            [accumulators[left], va0],
            [accumulators[right], va1],
          ]) {
            code.get(acc).get(va).get(vb).f32x4Mul().f32x4Add().set(acc);
          }
        }
        code.get(at).i32Const(16).i32Add().set(at).br(0);
      }
      code.end().end();
      accumulators.forEach((acc, k) => {
        laneSum(code, acc);
        code.set(sums[k]);
      });
      // The last n mod 4 columns, one at a time.
      code.block().loop();
      {
        code.get(at).get(stride).i32GeS().brIf(1);
        code.get(pa0).get(at).i32Add().f32Load().set(x0);
        code.get(pa1).get(at).i32Add().f32Load().set(x1);
        for (const [pb, left, right] of [
          [pb0, 0, 2],
          [pb1, 1, 3],
        ]) {
          code.get(pb).get(at).i32Add().f32Load().set(y);
          for (const [s, x] of [
            [sums[left], x0],
            [sums[right], x1],
          ]) {
            code.get(s).get(x).get(y).f32Mul().f32Add().set(s);
          }
        }
        code.get(at).i32Const(4).i32Add().set(at).br(0);
      }
      code.end().end();
      const store = (row: number, column: number, sum: number) => {
        code.get(out).get(row).get(m).i32Mul().get(column).i32Add().i32Const(2).i32Shl().i32Add();
        code.get(sum).f32Store();
      };
      const pairs: [number, number][] = [
        [i, j],
        [i, j1],
        [i1, j],
        [i1, j1],
      ];
      pairs.forEach(([row, column], k) => store(row, column, sums[k]));
      code.get(symmetric).if();
      pairs.forEach(([row, column], k) => store(column, row, sums[k]));
      code.end();
      code.get(j).i32Const(2).i32Add().set(j).br(0);
    }
    code.end().end();
    code.get(i).i32Const(2).i32Add().set(i).br(0);
  }
  code.end().end();
  return code.body([
    [11, I32],
    [7, V128],
    [7, F32],
  ]);
}

/**
 * `combine(out, rows, weights, m, n)`: `out[c] = Σᵢ weights[i] · rows[i, c]` for the row-major
 * [m, n] `rows`, sixteen columns per pass (four vector accumulators), the last n mod 16 one at a
 * time.
 */
function combineBody(): number[] {
  const [out, rows, weights, m, n] = [0, 1, 2, 3, 4];
  const [stride, blockEnd, at, i, p] = [5, 6, 7, 8, 9];
  const accumulators = [10, 11, 12, 13];
  const weight = 14;
  const sum = 15;
  const code = new Code();
  code.get(n).i32Const(2).i32Shl().set(stride);
  code.get(n).i32Const(-16).i32And().i32Const(2).i32Shl().set(blockEnd);
  code.i32Const(0).set(at);
  code.block().loop();
  {
    code.get(at).get(blockEnd).i32GeS().brIf(1);
    for (const acc of accumulators) code.v128Zero().set(acc);
    code.get(rows).get(at).i32Add().set(p);
    code.i32Const(0).set(i);
    code.block().loop();
    {
      code.get(i).get(m).i32GeS().brIf(1);
      code.get(weights).get(i).i32Const(2).i32Shl().i32Add().f32Load().f32x4Splat().set(weight);
      accumulators.forEach((acc, k) => {
        code
          .get(acc)
          .get(p)
          .v128Load(16 * k)
          .get(weight)
          .f32x4Mul()
          .f32x4Add()
          .set(acc);
      });
      code.get(p).get(stride).i32Add().set(p);
      code.get(i).i32Const(1).i32Add().set(i).br(0);
    }
    code.end().end();
    accumulators.forEach((acc, k) => {
      code
        .get(out)
        .get(at)
        .i32Add()
        .get(acc)
        .v128Store(16 * k);
    });
    code.get(at).i32Const(64).i32Add().set(at).br(0);
  }
  code.end().end();
  code.block().loop();
  {
    code.get(at).get(stride).i32GeS().brIf(1);
    code.f32Const(0).set(sum);
    code.get(rows).get(at).i32Add().set(p);
    code.i32Const(0).set(i);
    code.block().loop();
    {
      code.get(i).get(m).i32GeS().brIf(1);
      code.get(sum);
      code.get(weights).get(i).i32Const(2).i32Shl().i32Add().f32Load();
      code.get(p).f32Load().f32Mul().f32Add().set(sum);
      code.get(p).get(stride).i32Add().set(p);
      code.get(i).i32Const(1).i32Add().set(i).br(0);
    }
    code.end().end();
    code.get(out).get(at).i32Add().get(sum).f32Store();
    code.get(at).i32Const(4).i32Add().set(at).br(0);
  }
  code.end().end();
  return code.body([
    [5, I32],
    [5, V128],
    [1, F32],
  ]);
}

/**
 * `combineFour(out, rows, weights, m, n)`: four combinations at once, `out[r, c] = Σᵢ weights[r, i]
 * · rows[i, c]` for r < 4 (row-major `out` [4, n], `weights` [4, m], `rows` [m, n]). Each vector
 * read from `rows` serves all four, eight columns per pass (eight vector accumulators), then four,
 * then the last n mod 4 one at a time: half the loads of four single combinations, which is what
 * bounds them.
 */
function combineFourBody(): number[] {
  const [out, rows, weights, m, n] = [0, 1, 2, 3, 4];
  const [stride, at, vectorsEnd, i, p] = [5, 6, 7, 8, 9];
  const outRows = [10, 11, 12, 13];
  const weightRows = [14, 15, 16, 17];
  const weightAt = [18, 19, 20, 21];
  const accumulators = [22, 23, 24, 25, 26, 27, 28, 29];
  const loaded = [30, 31];
  const splats = [32, 33, 34, 35];
  const sums = [36, 37, 38, 39];
  const x = 40;
  const code = new Code();
  code.get(n).i32Const(2).i32Shl().set(stride);
  code.get(n).i32Const(-8).i32And().i32Const(2).i32Shl().set(vectorsEnd);
  outRows.forEach((local, r) => {
    code.get(out).get(stride).i32Const(r).i32Mul().i32Add().set(local);
  });
  weightRows.forEach((local, r) => {
    code
      .get(weights)
      .get(m)
      .i32Const(4 * r)
      .i32Mul()
      .i32Add()
      .set(local);
  });
  /** Sums over i for the columns at `at`, `width` entries of each of the four rows. */
  const pass = (width: 8 | 4 | 1) => {
    const vectors = width === 8 ? 2 : width === 4 ? 1 : 0;
    if (vectors > 0) for (let k = 0; k < 4 * vectors; k++) code.v128Zero().set(accumulators[k]);
    else for (const sum of sums) code.f32Const(0).set(sum);
    code.get(rows).get(at).i32Add().set(p);
    weightAt.forEach((local, r) => code.get(weightRows[r]).set(local));
    code.i32Const(0).set(i);
    code.block().loop();
    {
      code.get(i).get(m).i32GeS().brIf(1);
      if (vectors > 0) {
        for (let v = 0; v < vectors; v++)
          code
            .get(p)
            .v128Load(16 * v)
            .set(loaded[v]);
        weightAt.forEach((local, r) => code.get(local).f32Load().f32x4Splat().set(splats[r]));
        for (let r = 0; r < 4; r++) {
          for (let v = 0; v < vectors; v++) {
            const acc = accumulators[r * vectors + v];
            code.get(acc).get(loaded[v]).get(splats[r]).f32x4Mul().f32x4Add().set(acc);
          }
        }
      } else {
        code.get(p).f32Load().set(x);
        weightAt.forEach((local, r) => {
          code.get(sums[r]).get(x).get(local).f32Load().f32Mul().f32Add().set(sums[r]);
        });
      }
      code.get(p).get(stride).i32Add().set(p);
      for (const local of weightAt) code.get(local).i32Const(4).i32Add().set(local);
      code.get(i).i32Const(1).i32Add().set(i).br(0);
    }
    code.end().end();
    for (let r = 0; r < 4; r++) {
      if (vectors > 0) {
        for (let v = 0; v < vectors; v++) {
          code
            .get(outRows[r])
            .get(at)
            .i32Add()
            .get(accumulators[r * vectors + v])
            .v128Store(16 * v);
        }
      } else {
        code.get(outRows[r]).get(at).i32Add().get(sums[r]).f32Store();
      }
    }
    code
      .get(at)
      .i32Const(4 * width)
      .i32Add()
      .set(at);
  };
  code.i32Const(0).set(at);
  code.block().loop();
  {
    code.get(at).get(vectorsEnd).i32GeS().brIf(1);
    pass(8);
    code.br(0);
  }
  code.end().end();
  code.get(stride).get(at).i32Sub().i32Const(16).i32GeS().if();
  pass(4);
  code.end();
  code.block().loop();
  {
    code.get(at).get(stride).i32GeS().brIf(1);
    pass(1);
    code.br(0);
  }
  code.end().end();
  return code.body([
    [17, I32],
    [14, V128],
    [5, F32],
  ]);
}

/** The module: its functions over the imported memory of the wasm backend. */
function assemble(): number[] {
  return moduleOverImportedMemory([
    { name: 'gramian', params: 6, body: gramianBody() },
    { name: 'combine', params: 5, body: combineBody() },
    { name: 'combineFour', params: 5, body: combineFourBody() },
  ]);
}
