/**
 * Building a wasm kernel out of other wasm kernels (the kernel fixes of `useFastestBackend`):
 * inside a kernel, tfjs ops cannot be called, only other kernels' functions, whose outputs are raw
 * backend data that nothing disposes unless the composing kernel does.
 */
import type * as tf from '@tensorflow/tfjs';

/** The argument of a kernel function. */
export type KernelArgs = Parameters<tf.KernelConfig['kernelFunc']>[0];

/** A kernel's view of a tensor. */
export interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

/** A 4-D shape. */
export type Shape4D = [number, number, number, number];

/** The attributes the two convolution gradient kernels share (those of the forward `Conv2D`). */
export interface ConvGradientAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Runs one kernel on the backend of `args`; see {@link composeKernels}. */
export type KernelRunner = (kernel: tf.KernelConfig, inputs: object, attrs: object) => TensorInfo;

/**
 * Runs `body`, which calls other kernels through `run`, and returns what `body` returns; every
 * output `run` made is disposed at the end, except the one returned.
 */
export function composeKernels(
  args: KernelArgs,
  body: (run: KernelRunner) => TensorInfo,
): TensorInfo {
  const made: TensorInfo[] = [];
  const run: KernelRunner = (kernel, inputs, attrs) => {
    const out = kernel.kernelFunc({
      inputs: inputs as KernelArgs['inputs'],
      backend: args.backend,
      attrs: attrs as KernelArgs['attrs'],
    }) as unknown as TensorInfo;
    made.push(out);
    return out;
  };
  let result: TensorInfo | undefined;
  try {
    result = body(run);
    return result;
  } finally {
    const backend = args.backend as unknown as { disposeData(dataId: object): void };
    for (const info of made) if (info !== result) backend.disposeData(info.dataId);
  }
}
