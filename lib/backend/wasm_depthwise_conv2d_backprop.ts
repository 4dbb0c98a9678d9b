/**
 * Two kernels the wasm backend (4.22) lacks: the filter and input gradients of a depthwise
 * convolution (`tf.depthwiseConv2d`, `tf.layers.depthwiseConv2d`, `separableConv2d`), without
 * which no such layer trains on wasm. Both are depthwise convolutions themselves, which wasm runs
 * with XNNPACK (C channels, multiplier M, strides s):
 *
 *     dW[i, j, c, m] = Σ_b Σ_(y, x) x̂[b, y·s_h + i, x·s_w + j, c] · dy[b, y, x, c·M + m]
 *
 * is one depthwise convolution of x̂ with its batch folded into the channels ([1, h, w, B·C]) by
 * dy as a kernel ([h', w', B·C, M]) dilated by s, summed over the batch; and
 *
 *     dx[b, h, w, c] = Σ_m Σ_(i, j) ď[b, h + i, w + j, c·M + m] · W[kh − 1 − i, kw − 1 − j, c, m]
 *
 * is one depthwise convolution of ď (dy spread by the strides and padded, as for `Conv2D`) by the
 * kernel flipped in space as [kh, kw, C·M, 1], summed over m. Installed by `useFastestBackend`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  composeKernels,
  padOrCrop,
  spreadByStrides,
  type ConvGradientAttrs,
  type KernelArgs,
  type Shape4D,
  type TensorInfo,
} from './wasm_kernels';

interface DepthwiseGradientAttrs extends Omit<ConvGradientAttrs, 'dataFormat'> {
  dilations?: number | [number, number];
}

let installed = false;

/**
 * Registers `DepthwiseConv2dNativeBackpropFilter` and `…BackpropInput` on the wasm backend, built
 * from its `DepthwiseConv2dNative`, `Transpose`, `Reshape`, `PadV2`, `Slice`, `Reverse` and `Sum`
 * kernels. Does nothing when wasm already has them (a later tfjs) or lacks those.
 */
export function installDepthwiseConv2dBackprop(): void {
  const names = ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];
  if (installed || names.some((name) => tf.getKernel(name, 'wasm') !== undefined)) return;
  const used = [
    'DepthwiseConv2dNative',
    'Transpose',
    'Reshape',
    'PadV2',
    'Slice',
    'Reverse',
    'Sum',
  ];
  const kernels = used.map((name) => tf.getKernel(name, 'wasm'));
  if (kernels.some((kernel) => kernel === undefined)) return;
  const [depthwise, transpose, reshape, pad, slice, reverse, sum] = kernels as tf.KernelConfig[];
  const layout = { pad, reshape, slice };

  tf.registerKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const { x, dy } = args.inputs as unknown as { x: TensorInfo; dy: TensorInfo };
      const attrs = args.attrs as unknown as DepthwiseGradientAttrs & { filterShape: Shape4D };
      return composeKernels(args, (run) => {
        const info = depthwiseInfo(x.shape as Shape4D, attrs.filterShape, attrs);
        const [batch, , , channels] = x.shape;
        const [kh, kw, , multiplier] = attrs.filterShape;
        const { top, bottom, left, right } = info.padInfo;
        const padded = padOrCrop(run, layout, x, [
          [top, x.shape[1] + top + bottom],
          [left, x.shape[2] + left + right],
        ]);
        // [b, h, w, c] → [1, h, w, b·c]: the batch becomes channels, paired with dy's below.
        const [, ph, pw] = padded.shape;
        const folded = run(
          reshape,
          { x: run(transpose, { x: padded }, { perm: [1, 2, 0, 3] }) },
          {
            shape: [1, ph, pw, batch * channels],
          },
        );
        const [, oh, ow] = dy.shape;
        const asKernel = run(
          reshape,
          { x: run(transpose, { x: dy }, { perm: [1, 2, 0, 3] }) },
          {
            shape: [oh, ow, batch * channels, multiplier],
          },
        );
        const correlated = run(
          depthwise,
          { x: folded, filter: asKernel },
          {
            strides: [1, 1],
            pad: 'valid',
            dilations: [info.strideHeight, info.strideWidth],
          },
        ); // [1, ≥ kh, ≥ kw, b·c·m]
        const cropped = padOrCrop(run, layout, correlated, [
          [0, kh],
          [0, kw],
        ]);
        const perBatch = run(
          reshape,
          { x: cropped },
          {
            shape: [kh, kw, batch, channels * multiplier],
          },
        );
        const summed = run(sum, { x: perBatch }, { axis: [2], keepDims: false });
        return run(reshape, { x: summed }, { shape: attrs.filterShape });
      });
    },
  });

  tf.registerKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const { dy, filter } = args.inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
      const attrs = args.attrs as unknown as DepthwiseGradientAttrs & { inputShape: Shape4D };
      return composeKernels(args, (run) => {
        const [batch, height, width, channels] = attrs.inputShape;
        const [kh, kw, , multiplier] = filter.shape;
        const info = depthwiseInfo(attrs.inputShape, filter.shape as Shape4D, attrs);
        const spread = spreadByStrides(run, layout, dy, info);
        const padded = padOrCrop(run, layout, spread, [
          [kh - 1 - info.padInfo.top, height + kh - 1],
          [kw - 1 - info.padInfo.left, width + kw - 1],
        ]);
        const flipped = run(
          reshape,
          { x: run(reverse, { x: filter }, { dims: [0, 1] }) },
          {
            shape: [kh, kw, channels * multiplier, 1],
          },
        );
        const perMultiplier = run(
          depthwise,
          { x: padded, filter: flipped },
          {
            strides: [1, 1],
            pad: 'valid',
            dilations: [1, 1],
          },
        ); // [b, h, w, c·m]
        const split = run(
          reshape,
          { x: perMultiplier },
          {
            shape: [batch, height, width, channels, multiplier],
          },
        );
        return run(sum, { x: split }, { axis: [4], keepDims: false });
      });
    },
  });
  installed = true;
}

/** The forward convolution's geometry; gradients exist for dilation 1 only, as in tfjs. */
function depthwiseInfo(
  inputShape: Shape4D,
  filterShape: Shape4D,
  attrs: DepthwiseGradientAttrs,
): tf.backend_util.Conv2DInfo {
  const dilations = attrs.dilations ?? 1;
  if (!(dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1)))) {
    throw new Error(
      'wasm depthwise convolution gradients: dilation rates above 1 are unsupported.',
    );
  }
  return tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}
