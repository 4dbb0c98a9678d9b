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

/** The tfjs engine, viewed through the internals tfjs-jd uses; throws if any is missing. */
function engineInternals(): EngineWithTape {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const engine = tf.engine() as any;
  if (checked === engine) return engine;
  const missing = [
    typeof engine.startTape !== 'function' && 'engine.startTape()',
    typeof engine.endTape !== 'function' && 'engine.endTape()',
    typeof engine.addTapeNode !== 'function' && 'engine.addTapeNode()',
    (engine.state === undefined || typeof engine.state.kernelDepth !== 'number') &&
      'engine.state.kernelDepth',
    (engine.state === undefined || typeof engine.state.gradientDepth !== 'number') &&
      'engine.state.gradientDepth',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new UnsupportedTfjsError(
      `tfjs-jd records the forward pass on the TensorFlow.js engine tape, but the installed ` +
        `@tensorflow/tfjs ${tf.version.tfjs} lacks ${missing.join(', ')}. tfjs-jd is tested with ` +
        `@tensorflow/tfjs 4.22.`,
    );
  }
  checked = engine;
  return engine;
}

/**
 * Runs `fn` with the tape on, in a fresh tape of its own, and returns its result with the nodes
 * it recorded (each with its kernel attributes). An enclosing tape (e.g. of `tf.variableGrads`) is
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
    const result = fn();
    return { result, nodes };
  } finally {
    if (hadOwnAddTapeNode) engine.addTapeNode = originalAddTapeNode;
    else delete (engine as Partial<EngineWithTape>).addTapeNode;
    engine.endTape();
    engine.state.gradientDepth = outerDepth;
    engine.state.activeTape = outerTape;
  }
}
