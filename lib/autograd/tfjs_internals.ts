/**
 * The one place in tfjs-jd that touches TensorFlow.js internals: the engine's tape. Everything
 * here is checked once by `engineInternals()`, which throws `UnsupportedTfjsError` with a clear
 * message when the installed tfjs does not have what we rely on.
 */
import * as tf from '@tensorflow/tfjs';
import { UnsupportedTfjsError } from '../errors';

/** A node of the tfjs tape: one kernel call recorded while the tape was on. */
export interface TapeNode {
  id: number;
  kernelName: string;
  inputs: tf.NamedTensorMap;
  outputs: tf.Tensor[];
  /** Kept clones of the tensors the gradient function needs; disposing them frees the node. */
  saved?: tf.Tensor[];
  /** Present when the kernel is differentiable. */
  gradient?: (dys: (tf.Tensor | null)[]) => { [inputName: string]: () => tf.Tensor };
  /** The kernel's attributes, captured by `record` (tfjs does not keep them on the node). */
  attrs?: Record<string, unknown>;
  /** Set by tfjs-jd once `saved` was disposed (tfjs itself never reuses a node). */
  freed?: boolean;
}

interface EngineState {
  activeTape: TapeNode[] | null;
  gradientDepth: number;
  kernelDepth: number;
}

interface EngineWithTape {
  state: EngineState;
  startTape(): void;
  endTape(): void;
  addTapeNode(
    kernelName: string,
    inputs: tf.NamedTensorMap,
    outputs: tf.Tensor[],
    gradientsFunc: unknown,
    saved: tf.Tensor[],
    attrs: Record<string, unknown>,
  ): void;
}

let checked: EngineWithTape | undefined;

/**
 * Checks that `engine` has the tape internals tfjs-jd relies on and returns it typed as such;
 * throws `UnsupportedTfjsError` naming each missing piece. Exported for its spec.
 */
export function checkEngineInternals(engine: unknown): EngineWithTape {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const candidate = engine as any;
  const state = candidate?.state;
  const missing = [
    typeof candidate?.startTape !== 'function' && 'engine.startTape()',
    typeof candidate?.endTape !== 'function' && 'engine.endTape()',
    typeof candidate?.addTapeNode !== 'function' && 'engine.addTapeNode()',
    (state == null || typeof state.kernelDepth !== 'number') && 'engine.state.kernelDepth',
    (state == null || typeof state.gradientDepth !== 'number') && 'engine.state.gradientDepth',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new UnsupportedTfjsError(
      `tfjs-jd records the forward pass on the TensorFlow.js engine tape, but the installed ` +
        `@tensorflow/tfjs ${tf.version.tfjs} lacks ${missing.join(', ')}. tfjs-jd is tested with ` +
        `@tensorflow/tfjs 4.22.`,
    );
  }
  return candidate as EngineWithTape;
}

/** The tfjs engine, viewed through the internals tfjs-jd uses; checked once per engine. */
function engineInternals(): EngineWithTape {
  const engine: unknown = tf.engine();
  if (checked === undefined || checked !== engine) checked = checkEngineInternals(engine);
  return checked;
}

/**
 * Runs `fn` inside `tf.tidy` with the tape on, in a fresh tape of its own, and returns its result
 * (kept by the tidy) with the nodes it recorded (each with its kernel attributes). An enclosing tape (e.g. of `tf.variableGrads`) is
 * restored afterwards and does not see these nodes.
 */
export function runOnFreshTape<T>(fn: () => T): { result: T; nodes: TapeNode[] } {
  const engine = engineInternals();
  const outerTape = engine.state.activeTape;
  const outerDepth = engine.state.gradientDepth;
  const originalAddTapeNode = engine.addTapeNode;
  const hadOwnAddTapeNode = Object.prototype.hasOwnProperty.call(engine, 'addTapeNode');
  const nodes: TapeNode[] = [];
  engine.state.activeTape = nodes;
  engine.state.gradientDepth = 0;
  engine.startTape(); // gradientDepth 0 → 1 with our array kept: startTape only resets at depth 0
  engine.state.activeTape = nodes;
  engine.addTapeNode = function (kernelName, inputs, outputs, gradientsFunc, saved, attrs) {
    originalAddTapeNode.call(this, kernelName, inputs, outputs, gradientsFunc, saved, attrs);
    const tape = engine.state.activeTape;
    if (tape !== null && tape.length > 0) tape[tape.length - 1].attrs = attrs;
  };
  try {
    const result = tf.tidy(() => fn() as never) as T;
    return { result, nodes };
  } catch (error) {
    // No graph will own these nodes: release the clones tfjs kept for their backward passes.
    for (const node of nodes) for (const saved of node.saved ?? []) saved.dispose();
    throw error;
  } finally {
    if (hadOwnAddTapeNode) engine.addTapeNode = originalAddTapeNode;
    else delete (engine as Partial<EngineWithTape>).addTapeNode;
    engine.endTape();
    engine.state.gradientDepth = outerDepth;
    engine.state.activeTape = outerTape;
  }
}

/**
 * True while a tape records kernel calls: inside `record`, `tf.grad`, `tf.variableGrads`,
 * `optimizer.minimize`… (outside a kernel's own forward function).
 */
export function isTapeRecording(): boolean {
  // Read defensively, without engineInternals()' check: aggregators call this on every apply and
  // must keep working on a tfjs whose internals differ (nothing is then guarded).
  const state = (tf.engine() as unknown as { state?: Partial<EngineState> }).state;
  return (
    state !== undefined &&
    Array.isArray(state.activeTape) &&
    typeof state.gradientDepth === 'number' &&
    state.gradientDepth > 0 &&
    state.kernelDepth === 0
  );
}

/**
 * For a gradient function about to throw inside `tf.grad`/`tf.variableGrads`: releases the kept
 * clones of the finished tape, which tfjs frees only after a backward pass that succeeds (at
 * `gradientDepth` 0, when no higher-order gradient is being taped), so that the error leaks
 * nothing. Does nothing inside `record`'s own backward passes (whose graphs free their nodes).
 */
export function releaseTapeOfFailingBackward(): void {
  const { state } = engineInternals();
  if (state.gradientDepth !== 0 || state.activeTape === null) return;
  for (const node of state.activeTape) for (const saved of node.saved ?? []) saved.dispose();
  state.activeTape = null;
}
