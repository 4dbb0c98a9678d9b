/**
 * Choosing the fastest TensorFlow.js backend that works here, in Node and in the browser, without
 * ever requiring an optional backend: each is loaded with a dynamic `import()` that bundlers leave
 * alone, or taken from what the caller already loaded (a bundle can only contain what its author
 * imported).
 */
import * as tf from '@tensorflow/tfjs';
import { TfjsJdError } from '../errors';
import { installConv2DBackpropFilter } from './wasm_conv2d_backprop_filter';
import { installUnsortedSegmentSum } from './wasm_unsorted_segment_sum';
import { installConv2DBackpropInput } from './wasm_conv2d_backprop_input';
import { installDepthwiseConv2dBackprop } from './wasm_depthwise_conv2d_backprop';
import { installFastTransposedMatMul } from './wasm_matmul';

/** The backends tfjs-jd knows how to set up (`'tensorflow'` is tfjs-node's). */
export type BackendName = 'webgpu' | 'webgl' | 'tensorflow' | 'wasm' | 'cpu';

/** Where the choice is made: Node (a `process` with `versions.node`) or anywhere else. */
export type BackendEnvironment = 'node' | 'browser';

/** The candidates of each environment, fastest first. */
export const BACKEND_ORDER: Readonly<Record<BackendEnvironment, readonly BackendName[]>> = {
  node: ['tensorflow', 'wasm', 'cpu'],
  browser: ['webgpu', 'webgl', 'wasm', 'cpu'],
};

/** The package that provides each backend, and what tells a user to install it. */
const PACKAGES: Record<BackendName, string> = {
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  webgl: '@tensorflow/tfjs-backend-webgl',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** An optional backend's module, or a function loading it (`() => import('…')` in a bundle). */
export type BackendModule = object | (() => Promise<object>);

/** Options of {@link useFastestBackend} and {@link chooseFastestBackend}. */
export interface UseFastestBackendOptions {
  /**
   * Where the wasm backend finds its `.wasm` files: a URL prefix ending in `/`, or a map from file
   * name to URL, as `setWasmPaths` of `@tensorflow/tfjs-backend-wasm` takes. A bundler does not
   * copy those files: serve them (from `node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm`)
   * and say where. Not needed in Node.
   */
  wasmPaths?: string | Record<string, string>;
  /**
   * The optional backends' modules, for a bundle (where `import('…')` of a name the bundler never
   * saw cannot succeed): e.g. `{ wasm: () => import('@tensorflow/tfjs-backend-wasm') }`. A
   * backend already registered (its package imported) needs nothing here.
   */
  modules?: Partial<Record<'tensorflow' | 'wasm' | 'webgpu', BackendModule>>;
  /** The candidates, fastest first; defaults to {@link BACKEND_ORDER} of the environment. */
  backends?: BackendName[];
}

/** One candidate {@link chooseFastestBackend} considered, and why it was or was not taken. */
export interface BackendAttempt {
  backend: BackendName;
  /** `'used'`; `'missing'`: not installed or not loadable here; `'failed'`: present but did not start. */
  outcome: 'used' | 'missing' | 'failed';
  /** Why a candidate was passed over, in one sentence. */
  reason?: string;
}

/** What {@link chooseFastestBackend} chose, and everything it tried before. */
export interface BackendChoice {
  backend: BackendName;
  environment: BackendEnvironment;
  /** Every candidate considered, in order; the last one is the backend now in use. */
  tried: BackendAttempt[];
}

/**
 * A backend that was asked for (`TFJS_JD_BACKEND`) is not installed or does not start. Its message is
 * one line saying what to install, and so is its stack: an uncaught one prints that line only.
 */
export class BackendUnavailableError extends TfjsJdError {
  override readonly name = 'BackendUnavailableError';

  constructor(message: string) {
    super(message);
    this.stack = `${this.name}: ${message}`;
  }
}

interface ProcessLike {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
}

/** `process` where it exists; never the free identifier, which a browser does not define. */
function processObject(): ProcessLike | undefined {
  const candidate = (globalThis as { process?: unknown }).process;
  return candidate !== null && typeof candidate === 'object'
    ? (candidate as ProcessLike)
    : undefined;
}

/** `'node'` in Node, `'browser'` elsewhere (browsers, web workers, Deno without Node compat). */
export function backendEnvironment(): BackendEnvironment {
  return typeof processObject()?.versions?.node === 'string' ? 'node' : 'browser';
}

/**
 * Loads a package by name at run time. The specifier is a variable and the comments tell webpack
 * and Vite to leave the call alone, so a bundle never fails to build for an optional backend its
 * author did not install; in a browser such an import fails at run time and the backend counts as
 * missing.
 */
function importOptional(specifier: string): Promise<object> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<object>;
}

function hasNavigatorGpu(): boolean {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return nav?.gpu !== undefined && nav.gpu !== null;
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0];
}

/** The module of an optional backend: from `options.modules`, else imported by name. */
async function loadModule(
  name: 'tensorflow' | 'wasm' | 'webgpu',
  options: UseFastestBackendOptions,
): Promise<object> {
  const given = options.modules?.[name];
  if (typeof given === 'function') return given();
  return given ?? importOptional(PACKAGES[name]);
}

/**
 * Registers `name` if it is not yet: from `options.modules`, else by importing its package.
 * Returns why it is missing, or `undefined` when its factory is now registered.
 */
async function ensureRegistered(
  name: BackendName,
  options: UseFastestBackendOptions,
): Promise<string | undefined> {
  if (name === 'webgpu' && !hasNavigatorGpu()) return 'navigator.gpu is not available here.';
  const registered = () => tf.findBackendFactory(name) != null;
  let module: object | undefined;
  if (!registered()) {
    if (name === 'cpu' || name === 'webgl') {
      return `${PACKAGES[name]} is not registered (importing @tensorflow/tfjs registers it).`;
    }
    try {
      module = await loadModule(name, options);
    } catch (error) {
      return `${PACKAGES[name]} could not be loaded (${describeError(error)}).`;
    }
    if (!registered()) {
      return `${PACKAGES[name]} registered '${name}' with another copy of tfjs (dedupe @tensorflow/tfjs-core).`;
    }
  }
  if (name === 'wasm' && options.wasmPaths !== undefined) {
    module ??= await loadModule('wasm', options).catch(() => undefined);
    const setWasmPaths = (module as { setWasmPaths?: unknown } | undefined)?.setWasmPaths;
    if (typeof setWasmPaths !== 'function') {
      return `wasmPaths was given but ${PACKAGES.wasm} could not be reached to set them (pass modules.wasm).`;
    }
    try {
      setWasmPaths(options.wasmPaths);
    } catch (error) {
      return `${PACKAGES.wasm} did not accept wasmPaths (${describeError(error)}).`;
    }
  }
  return undefined;
}

/** Makes `name` the backend in use; returns why it did not start, or `undefined`. */
async function start(name: BackendName): Promise<string | undefined> {
  try {
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') did not succeed.`;
    await tf.ready();
  } catch (error) {
    return `it did not start (${describeError(error)}).`;
  }
  if (name === 'wasm') installWasmKernels();
  return undefined;
}

/** The backends named by `TFJS_JD_BACKEND`, or `undefined` when it is unset (or no `process`). */
function requestedBackend(environment: BackendEnvironment): BackendName | undefined {
  const raw = processObject()?.env?.TFJS_JD_BACKEND;
  if (raw === undefined || raw.trim() === '') return undefined;
  const name = raw.trim().toLowerCase();
  const allowed = BACKEND_ORDER[environment];
  if (!allowed.includes(name as BackendName)) {
    throw new BackendUnavailableError(
      `TFJS_JD_BACKEND must be one of ${allowed.join(', ')} (any case); got '${raw}'.`,
    );
  }
  return name as BackendName;
}

/**
 * Selects the fastest backend that works here and says what it tried. In Node:
 * `@tensorflow/tfjs-node` (`'tensorflow'`), else `@tensorflow/tfjs-backend-wasm`, else `cpu`. In a
 * browser: WebGPU (when `navigator.gpu` exists and `@tensorflow/tfjs-backend-webgpu` is loaded),
 * else WebGL, else wasm, else `cpu`. Optional backends are loaded with a dynamic `import()` (in
 * Node) or taken from `options.modules` or from what is already registered (in a bundle). Where
 * `process` exists, `TFJS_JD_BACKEND` (any case) forces one backend, and a forced backend that is
 * missing throws a one-line {@link BackendUnavailableError} saying what to install. On wasm the
 * kernel fixes are installed (see {@link useFastestBackend}).
 *
 * @example
 * ```ts
 * const { backend, tried } = await chooseFastestBackend();
 * for (const t of tried) if (t.outcome !== 'used') console.log(`${t.backend}: ${t.reason}`);
 * ```
 */
export async function chooseFastestBackend(
  options: UseFastestBackendOptions = {},
): Promise<BackendChoice> {
  const environment = backendEnvironment();
  const requested = requestedBackend(environment);
  const tried: BackendAttempt[] = [];
  if (requested !== undefined) {
    const reason = (await ensureRegistered(requested, options)) ?? (await start(requested));
    if (reason !== undefined) {
      const install =
        requested === 'cpu' || requested === 'webgl'
          ? `npm install @tensorflow/tfjs`
          : `npm install ${PACKAGES[requested]}`;
      throw new BackendUnavailableError(
        `TFJS_JD_BACKEND=${requested} but ${reason.replace(/\.$/, '')}; install it with \`${install}\`.`,
      );
    }
    tried.push({ backend: requested, outcome: 'used' });
    return { backend: requested, environment, tried };
  }
  for (const name of options.backends ?? BACKEND_ORDER[environment]) {
    const missing = await ensureRegistered(name, options);
    if (missing !== undefined) {
      tried.push({ backend: name, outcome: 'missing', reason: missing });
      continue;
    }
    const failed = await start(name);
    if (failed !== undefined) {
      tried.push({ backend: name, outcome: 'failed', reason: failed });
      continue;
    }
    tried.push({ backend: name, outcome: 'used' });
    return { backend: name, environment, tried };
  }
  throw new BackendUnavailableError(
    `No TensorFlow.js backend could be started: ${tried.map((t) => `${t.backend}: ${t.reason}`).join(' ')}`,
  );
}

/**
 * Selects the fastest available backend ({@link chooseFastestBackend} says how and reports every
 * candidate it passed over) and returns its name. On wasm it also installs kernel fixes: a matmul
 * about ten times faster with transposed operands (`installFastTransposedMatMul`), the
 * convolution kernel gradient wasm lacks (`installConv2DBackpropFilter`), without which
 * `tf.layers.conv2d` cannot train there, a convolution input gradient about eight times faster
 * (`installConv2DBackpropInput`), the depthwise convolution gradients wasm lacks
 * (`installDepthwiseConv2dBackprop`), and the gather gradient wasm lacks
 * (`installUnsortedSegmentSum`), without which no embedding can train there.
 *
 * @returns the name of the backend now in use.
 * @example
 * ```ts
 * const backend = await useFastestBackend();           // Node: 'wasm' without tfjs-node
 * await useFastestBackend({ wasmPaths: '/wasm/', modules: { wasm: () => import('@tensorflow/tfjs-backend-wasm') } });
 * ```
 */
export async function useFastestBackend(
  options: UseFastestBackendOptions = {},
): Promise<BackendName> {
  const choice = await chooseFastestBackend(options);
  // A backend that is installed but did not start is worth a word: the choice is then slower.
  for (const attempt of choice.tried) {
    if (attempt.outcome === 'failed') {
      const warn = (globalThis as { console?: { warn(message: string): void } }).console?.warn;
      warn?.(`tfjs-jd: backend ${attempt.backend} is installed but skipped: ${attempt.reason}`);
    }
  }
  return choice.backend;
}

/** The wasm backend's kernel fixes: faster transposed matmuls, convolution and gather gradients. */
function installWasmKernels(): void {
  installFastTransposedMatMul();
  installConv2DBackpropFilter();
  installConv2DBackpropInput();
  installDepthwiseConv2dBackprop();
  installUnsortedSegmentSum();
}
