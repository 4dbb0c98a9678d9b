import * as tf from '@tensorflow/tfjs';
import { installConv2DBackpropFilter } from './wasm_conv2d_backprop_filter';
import { installConv2DBackpropInput } from './wasm_conv2d_backprop_input';
import { installDepthwiseConv2dBackprop } from './wasm_depthwise_conv2d_backprop';
import { installFastTransposedMatMul } from './wasm_matmul';

/** The backends tfjs-jd knows how to set up, fastest first. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

const PREFERENCE: BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Loads the module that registers `name`; returns false when it is not installed. */
function registerBackend(name: BackendName): boolean {
  try {
    if (name === 'tensorflow') require('@tensorflow/tfjs-node');
    if (name === 'wasm') require('@tensorflow/tfjs-backend-wasm');
    return true;
  } catch {
    return false;
  }
}

/**
 * Selects the fastest available backend: `@tensorflow/tfjs-node` (`'tensorflow'`) when it loads,
 * else `@tensorflow/tfjs-backend-wasm`, else the pure-JS `cpu`. The environment variable
 * `TFJS_JD_BACKEND` (`tensorflow`, `wasm` or `cpu`) overrides the choice. The library itself never
 * requires tfjs-node; only this function tries to. On wasm it also installs kernel fixes: a matmul
 * about ten times faster with transposed operands (`installFastTransposedMatMul`), the convolution
 * kernel gradient wasm lacks (`installConv2DBackpropFilter`), without which `tf.layers.conv2d`
 * cannot train there, a convolution input gradient about eight times faster
 * (`installConv2DBackpropInput`), and the depthwise convolution gradients wasm lacks
 * (`installDepthwiseConv2dBackprop`).
 *
 * @returns the name of the backend now in use.
 * @example
 * ```ts
 * const backend = await useFastestBackend();
 * console.log(`backend: ${backend}`); // 'wasm' on a machine without tfjs-node
 * ```
 */
export async function useFastestBackend(): Promise<BackendName> {
  const requested = process.env.TFJS_JD_BACKEND;
  if (requested !== undefined && requested !== '') {
    if (!PREFERENCE.includes(requested as BackendName)) {
      throw new Error(
        `TFJS_JD_BACKEND must be one of ${PREFERENCE.join(', ')}; got '${requested}'.`,
      );
    }
    const name = requested as BackendName;
    if (!registerBackend(name) || !(await tf.setBackend(name))) {
      throw new Error(`TFJS_JD_BACKEND=${name} was requested but that backend is not available.`);
    }
    await tf.ready();
    if (name === 'wasm') installWasmKernels();
    return name;
  }
  for (const name of PREFERENCE) {
    if (registerBackend(name) && (await tf.setBackend(name))) {
      await tf.ready();
      if (name === 'wasm') installWasmKernels();
      return name;
    }
  }
  throw new Error('No TensorFlow.js backend could be initialised.');
}

/** The wasm backend's kernel fixes: faster transposed matmuls and convolution gradients. */
function installWasmKernels(): void {
  installFastTransposedMatMul();
  installConv2DBackpropFilter();
  installConv2DBackpropInput();
  installDepthwiseConv2dBackprop();
}
