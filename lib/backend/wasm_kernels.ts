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

/** dy with `stride − 1` zero rows after each row and zero columns after each column. */
export function spreadByStrides(
  run: KernelRunner,
  { pad, reshape }: { pad: tf.KernelConfig; reshape: tf.KernelConfig },
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const { strideHeight: sh, strideWidth: sw } = info;
  if (sh === 1 && sw === 1) return dy;
  const [b, oh, ow, f] = dy.shape;
  const split = run(reshape, { x: dy }, { shape: [b, oh, 1, ow, 1, f] });
  const zeros = run(
    pad,
    { x: split },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  return run(reshape, { x: zeros }, { shape: [b, oh * sh, ow * sw, f] });
}

/**
 * `x` ([b, h, w, c]) moved down by `offset` rows (zeros above; or cut, when negative) and cut or
 * zero-padded to `size` rows, and the same for columns: `[[rowOffset, rows], [colOffset, cols]]`.
 */
export function padOrCrop(
  run: KernelRunner,
  { pad, slice }: { pad: tf.KernelConfig; slice: tf.KernelConfig },
  x: TensorInfo,
  [[rowOffset, rows], [colOffset, cols]]: [[number, number], [number, number]],
): TensorInfo {
  const [b, h, w, c] = x.shape;
  const before = [Math.max(rowOffset, 0), Math.max(colOffset, 0)];
  const after = [Math.max(rows - rowOffset - h, 0), Math.max(cols - colOffset - w, 0)];
  const padded =
    before[0] + before[1] + after[0] + after[1] > 0
      ? run(
          pad,
          { x },
          {
            paddings: [
              [0, 0],
              [before[0], after[0]],
              [before[1], after[1]],
              [0, 0],
            ],
            constantValue: 0,
          },
        )
      : x;
  const begin = [Math.max(-rowOffset, 0), Math.max(-colOffset, 0)];
  if (begin[0] === 0 && begin[1] === 0 && padded.shape[1] === rows && padded.shape[2] === cols) {
    return padded;
  }
  return run(slice, { x: padded }, { begin: [0, begin[0], begin[1], 0], size: [b, rows, cols, c] });
}
