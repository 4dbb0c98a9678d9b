/**
 * A small assembler for the WebAssembly binary format: the SIMD loops of tfjs-jd (the QP's
 * factors, the row products on the wasm backend's memory) are assembled from readable instruction
 * lists at first use, rather than shipped as opaque binaries.
 */

/** The part of the WebAssembly JavaScript API used here (the project compiles without DOM types). */
export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}

/**
 * The WebAssembly API of this environment and `bytes` compiled by it, or null where there is none,
 * it lacks what the module uses (SIMD), or a content security policy forbids compiling.
 */
export function compileModule(bytes: number[]): { api: WebAssemblyApi; module: object } | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  try {
    if (typeof api !== 'object' || api === null) return null;
    const binary = new Uint8Array(bytes);
    if (!api.validate(binary)) return null;
    return { api, module: new api.Module(binary) };
  } catch {
    return null;
  }
}

/** The 8 bytes every module starts with: the magic number and version 1. */
const MODULE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A function of a module: exported under `name`, with `params` i32 parameters. */
export interface ModuleFunction {
  name: string;
  params: number;
  /** True when it returns one i32; else it returns nothing. */
  returnsI32?: boolean;
  /** Its locals and instructions, as the code section wants them. */
  body: number[];
}

/**
 * The bytes of a module of `functions`, each exported under its name, working on a memory the
 * instantiator passes as `env.memory` (of any size, growable).
 */
export function moduleOverImportedMemory(functions: ModuleFunction[]): number[] {
  const signatures: string[] = [];
  const typeIndex = functions.map(({ params, returnsI32 }) => {
    const key = `${params} ${returnsI32 === true ? 1 : 0}`;
    if (!signatures.includes(key)) signatures.push(key);
    return signatures.indexOf(key);
  });
  const i32s = (count: number) => vector(new Array<number[]>(count).fill([I32]));
  const types = signatures.map((key) => {
    const [params, results] = key.split(' ').map(Number);
    return [0x60, ...i32s(params), ...i32s(results)];
  });
  return [
    ...MODULE_HEADER,
    ...section(1, vector(types)),
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vector(typeIndex.map((index) => [index]))),
    ...section(7, vector(functions.map((f, index) => [...name(f.name), 0x00, index]))),
    ...section(10, vector(functions.map(({ body }) => [...unsigned(body.length), ...body]))),
  ];
}

/** Unsigned LEB128, the integer encoding of the WebAssembly binary format. */
function unsigned(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 (for `i32.const`). */
function signed(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A vector of the binary format: its length, then its items. */
export function vector(items: number[][]): number[] {
  return [...unsigned(items.length), ...items.flat()];
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsigned(content.length), ...content];
}

function name(text: string): number[] {
  return vector(Array.from(text, (c) => [c.charCodeAt(0)]));
}

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export const F32 = 0x7d;

/** Emits instructions; each method is one instruction of the WebAssembly spec, same name. */
export class Code {
  readonly bytes: number[] = [];
  /**
   * Closes the function (`end`) and returns its body as the code section wants it: its locals, as
   * runs of [count, type] (after the parameters, which are i32), then its instructions.
   */
  body(locals: [number, number][]): number[] {
    this.end();
    return [...vector(locals), ...this.bytes];
  }
  private emit(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }
  get(local: number): this {
    return this.emit(0x20, ...unsigned(local));
  }
  set(local: number): this {
    return this.emit(0x21, ...unsigned(local));
  }
  i32Const(value: number): this {
    return this.emit(0x41, ...signed(value));
  }
  i32Add(): this {
    return this.emit(0x6a);
  }
  i32Mul(): this {
    return this.emit(0x6c);
  }
  i32Shl(): this {
    return this.emit(0x74);
  }
  i32GeS(): this {
    return this.emit(0x4e);
  }
  i32GeU(): this {
    return this.emit(0x4f);
  }
  i32Sub(): this {
    return this.emit(0x6b);
  }
  i32LtS(): this {
    return this.emit(0x48);
  }
  i32LtU(): this {
    return this.emit(0x49);
  }
  i32GtU(): this {
    return this.emit(0x4b);
  }
  i32ShrU(): this {
    return this.emit(0x76);
  }
  /** memarg: alignment 2², then the offset. */
  i32Load(offset = 0): this {
    return this.emit(0x28, 2, ...unsigned(offset));
  }
  f64Zero(): this {
    return this.f64Const(0);
  }
  f64Const(value: number): this {
    return this.emit(0x44, ...new Uint8Array(Float64Array.of(value).buffer));
  }
  i32Eqz(): this {
    return this.emit(0x45);
  }
  if(): this {
    return this.emit(0x04, 0x40);
  }
  /** memarg: alignment 2³ (rows of float64 are 8-byte aligned, not 16), then the offset. */
  f64Load(offset = 0): this {
    return this.emit(0x2b, 3, ...unsigned(offset));
  }
  f64Store(offset = 0): this {
    return this.emit(0x39, 3, ...unsigned(offset));
  }
  f64Add(): this {
    return this.emit(0xa0);
  }
  f64Sub(): this {
    return this.emit(0xa1);
  }
  f64Mul(): this {
    return this.emit(0xa2);
  }
  f64Sqrt(): this {
    return this.emit(0x9f);
  }
  f64Gt(): this {
    return this.emit(0x64);
  }
  return(): this {
    return this.emit(0x0f);
  }
  f64Div(): this {
    return this.emit(0xa3);
  }
  /** memarg: alignment 2³, then the byte offset (float32 rows need not be 16-byte aligned). */
  v128Load(offset = 0): this {
    return this.emit(0xfd, ...unsigned(0x00), 3, ...unsigned(offset));
  }
  v128Zero(): this {
    return this.emit(0xfd, ...unsigned(0x0c), ...new Array<number>(16).fill(0));
  }
  f64x2ExtractLane(lane: number): this {
    return this.emit(0xfd, ...unsigned(0x21), lane);
  }
  f64x2Add(): this {
    return this.emit(0xfd, ...unsigned(0xf0));
  }
  f64x2Mul(): this {
    return this.emit(0xfd, ...unsigned(0xf2));
  }
  f64x2Div(): this {
    return this.emit(0xfd, ...unsigned(0xf3));
  }
  f64x2Sub(): this {
    return this.emit(0xfd, ...unsigned(0xf1));
  }
  f64x2Splat(): this {
    return this.emit(0xfd, ...unsigned(0x14));
  }
  v128Store(offset = 0): this {
    return this.emit(0xfd, ...unsigned(0x0b), 3, ...unsigned(offset));
  }
  i32And(): this {
    return this.emit(0x71);
  }
  /** The first operand if the third is nonzero, else the second. */
  select(): this {
    return this.emit(0x1b);
  }
  /** memarg: alignment 2², then the offset. */
  f32Load(offset = 0): this {
    return this.emit(0x2a, 2, ...unsigned(offset));
  }
  f32Store(offset = 0): this {
    return this.emit(0x38, 2, ...unsigned(offset));
  }
  f32Const(value: number): this {
    return this.emit(0x43, ...new Uint8Array(Float32Array.of(value).buffer));
  }
  f32Add(): this {
    return this.emit(0x92);
  }
  f32Mul(): this {
    return this.emit(0x94);
  }
  f32x4Splat(): this {
    return this.emit(0xfd, ...unsigned(0x13));
  }
  f32x4ExtractLane(lane: number): this {
    return this.emit(0xfd, ...unsigned(0x1f), lane);
  }
  f32x4Add(): this {
    return this.emit(0xfd, ...unsigned(0xe4));
  }
  f32x4Mul(): this {
    return this.emit(0xfd, ...unsigned(0xe6));
  }
  block(): this {
    return this.emit(0x02, 0x40);
  }
  loop(): this {
    return this.emit(0x03, 0x40);
  }
  br(depth: number): this {
    return this.emit(0x0c, ...unsigned(depth));
  }
  brIf(depth: number): this {
    return this.emit(0x0d, ...unsigned(depth));
  }
  end(): this {
    return this.emit(0x0b);
  }
}
