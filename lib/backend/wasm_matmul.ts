/**
 * A speed fix for the wasm backend: its BatchMatMul kernel is about ten times slower when asked to
 * transpose an operand (measured 12.4 ms against 1.4 ms for a 784×64 by 64×256 product), and every
 * backward pass through a dense layer asks for exactly that (`dW = xᵀ·dy`, `dx = dy·Wᵀ`).
 * Transposing the operand explicitly first (a cheap copy) and multiplying without flags gives the
 * same result at the fast speed. Installed by `useFastestBackend` when it picks wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { composeKernels, type KernelArgs, type TensorInfo } from './wasm_kernels';

const patched = new Set<string>();

/** Re-registers `BatchMatMul` on the wasm backend to transpose explicitly. Idempotent. */
export function installFastTransposedMatMul(): void {
  if (patched.has('wasm')) return;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (original === undefined || transpose === undefined) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args: KernelArgs) => {
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return original.kernelFunc(args);
      const { a, b } = args.inputs as unknown as { a: TensorInfo; b: TensorInfo };
      // Thin outputs (a Gramian m × m of a wide matrix, m < 8) are faster with the flags.
      const rowsOut = transposeA ? a.shape[a.shape.length - 1] : a.shape[a.shape.length - 2];
      const colsOut = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
      if (Math.min(rowsOut, colsOut) < 8) return original.kernelFunc(args);
      return composeKernels(args, (run) => {
        const swapLast = (x: TensorInfo): TensorInfo => {
          const rank = x.shape.length;
          const perm = [...Array(rank).keys()];
          [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
          return run(transpose, { x }, { perm });
        };
        const inputs = { a: transposeA ? swapLast(a) : a, b: transposeB ? swapLast(b) : b };
        return run(original, inputs, { ...args.attrs, transposeA: false, transposeB: false });
      });
    },
  });
  patched.add('wasm');
}
