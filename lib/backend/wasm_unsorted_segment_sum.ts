/**
 * A kernel the wasm backend (4.22) lacks: `UnsortedSegmentSum`, through which tfjs differentiates
 * every gather. Without it no `tf.gather` input and no `tf.layers.embedding` table can be trained
 * on wasm ("kernel not registered"), not even by `tf.variableGrads`:
 *
 *     out[s, ...] = Σ_{i : ids[i] = s} x[i, ...]      (ids outside [0, numSegments) dropped)
 *
 * A scatter-add is a single pass over `x` in JavaScript; the kernels wasm has would need a one-hot
 * matrix of `numSegments` rows (a vocabulary) per call. Installed by `useFastestBackend` when it
 * picks wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { TfjsJdError } from '../errors';
import type { KernelArgs, TensorInfo } from './wasm_kernels';

/** The wasm backend calls this kernel makes. */
interface WasmBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    offset?: number,
    values?: ArrayLike<number>,
  ): TensorInfo;
}

let installed = false;

/**
 * Registers `UnsortedSegmentSum` on the wasm backend (one-dimensional segment ids, as every
 * gather gradient passes them). Does nothing when wasm already has one (a later tfjs).
 */
export function installUnsortedSegmentSum(): void {
  if (installed || tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const { x, segmentIds } = args.inputs as unknown as { x: TensorInfo; segmentIds: TensorInfo };
      const { numSegments } = args.attrs as unknown as { numSegments: number };
      if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
        throw new TfjsJdError(
          `UnsortedSegmentSum on wasm takes one segment id per row of x (ids [${segmentIds.shape}] ` +
            `for x [${x.shape}]).`,
        );
      }
      const backend = args.backend as unknown as WasmBackend;
      const values = backend.readSync(x.dataId);
      const ids = backend.readSync(segmentIds.dataId);
      const inner = tf.util.sizeFromShape(x.shape.slice(1));
      const out =
        x.dtype === 'int32'
          ? new Int32Array(numSegments * inner)
          : new Float32Array(numSegments * inner);
      for (let i = 0; i < ids.length; i++) {
        const segment = ids[i];
        if (segment < 0 || segment >= numSegments) continue;
        const from = i * inner;
        const to = segment * inner;
        for (let j = 0; j < inner; j++) out[to + j] += values[from + j];
      }
      return backend.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype, undefined, out);
    },
  });
  installed = true;
}
