/**
 * Reading a tensor's values from JavaScript without the copy `dataSync` makes on the wasm backend.
 * Aggregators that work column by column in JavaScript (GradDrop, TrimmedMean) read the whole
 * Jacobian once; on wasm the copy alone (about 1 ms for 4 × 100000) costs as much as `Mean`.
 */
import * as tf from '@tensorflow/tfjs';

/** The parts of the wasm backend this reads (tfjs-backend-wasm 4.x), all optional: checked. */
interface WasmInternals {
  dataIdMap?: {
    has(dataId: object): boolean;
    get(dataId: object): { memoryOffset?: unknown } | undefined;
  };
  wasm?: { HEAPU8?: Uint8Array };
}

/**
 * The values of the float32 `tensor`, row-major. On wasm, a view of the backend's heap: read it
 * at once, before any other tfjs call (a new tensor may move the heap and detach the view), and
 * never write to it. Elsewhere, `dataSync()`.
 */
export function readFloat32(tensor: tf.Tensor): Float32Array {
  if (tensor.dtype !== 'float32') {
    throw new TypeError(`readFloat32 expects a float32 tensor, got ${tensor.dtype}.`);
  }
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as WasmInternals;
    const heap = backend.wasm?.HEAPU8;
    const offset = backend.dataIdMap?.has(tensor.dataId)
      ? backend.dataIdMap.get(tensor.dataId)?.memoryOffset
      : undefined;
    if (
      heap !== undefined &&
      typeof offset === 'number' &&
      (heap.byteOffset + offset) % 4 === 0 &&
      offset + 4 * tensor.size <= heap.length
    ) {
      return new Float32Array(heap.buffer, heap.byteOffset + offset, tensor.size);
    }
  }
  return tensor.dataSync() as Float32Array;
}

/**
 * True when the current backend keeps tensors in (or one cheap read from) JavaScript memory (`cpu`,
 * `wasm`): there, one pass in JavaScript over a matrix beats a dozen elementwise tfjs ops.
 */
export function onHostMemoryBackend(): boolean {
  const backend = tf.getBackend();
  return backend === 'cpu' || backend === 'wasm';
}
