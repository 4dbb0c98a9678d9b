/**
 * A speed fix for the wasm backend (4.22): its `Conv2DBackpropInput` kernel, the input gradient of
 * every 2-D convolution but the first layer's, is a plain loop about eight times slower than its
 * XNNPACK `Conv2D` on the same sizes (measured 319 ms against 38 ms for a 64 × 16 × 16 × 32 input
 * and a 3 × 3 × 32 × 64 kernel). The input gradient is itself a convolution:
 *
 *     dx[b, h, w, c] = Σ_(i, j, f) ď[b, h + i, w + j, f] · W[kh − 1 − i, kw − 1 − j, c, f]
 *
 * where ď is dy with `s − 1` zeros between its rows and columns (s the strides), padded so that the
 * kernel, flipped in space and with its channel axes swapped, slides over every position. The
 * kernel is replaced by that convolution. Installed by `useFastestBackend` when it picks wasm.
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

interface InputGradientAttrs extends ConvGradientAttrs {
  inputShape: Shape4D;
}

let installed = false;

/**
 * Re-registers `Conv2DBackpropInput` on the wasm backend as one `Conv2D` (with `Reshape`, `PadV2`,
 * `Slice`, `Reverse` and `Transpose` around it). Idempotent; does nothing without those kernels.
 */
export function installConv2DBackpropInput(): void {
  if (installed) return;
  const names = [
    'Conv2DBackpropInput',
    'Conv2D',
    'Transpose',
    'PadV2',
    'Slice',
    'Reverse',
    'Reshape',
  ];
  const kernels = names.map((name) => tf.getKernel(name, 'wasm'));
  if (kernels.some((kernel) => kernel === undefined)) return;
  const [original, conv2d, transpose, pad, slice, reverse, reshape] = kernels as tf.KernelConfig[];
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    ...original,
    kernelFunc: (args: KernelArgs) => {
      const { dy, filter } = args.inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
      const attrs = args.attrs as unknown as InputGradientAttrs;
      return composeKernels(args, (run) => {
        const channelsFirst = attrs.dataFormat === 'NCHW';
        const [batch, height, width, channels] = channelsFirst
          ? [attrs.inputShape[0], attrs.inputShape[2], attrs.inputShape[3], attrs.inputShape[1]]
          : attrs.inputShape;
        const dyNhwc = channelsFirst ? run(transpose, { x: dy }, { perm: [0, 2, 3, 1] }) : dy;
        const info = tf.backend_util.computeConv2DInfo(
          [batch, height, width, channels],
          filter.shape as Shape4D,
          attrs.strides,
          1,
          attrs.pad,
          attrs.dimRoundingMode,
        );
        const spread = spreadByStrides(run, { pad, reshape }, dyNhwc, info);
        // Rows: the flipped kernel must see ď from kh − 1 − top rows above it, and the output has
        // `height` rows; pad where ď is short, crop where it is long.
        const [kh, kw] = [info.filterHeight, info.filterWidth];
        const padded = padOrCrop(run, { pad, slice }, spread, [
          [kh - 1 - info.padInfo.top, height + kh - 1],
          [kw - 1 - info.padInfo.left, width + kw - 1],
        ]);
        const flipped = run(reverse, { x: filter }, { dims: [0, 1] });
        const swapped = run(transpose, { x: flipped }, { perm: [0, 1, 3, 2] }); // [kh, kw, f, c]
        const dx = run(
          conv2d,
          { x: padded, filter: swapped },
          {
            strides: [1, 1],
            pad: 'valid',
            dataFormat: 'NHWC',
            dilations: [1, 1],
          },
        );
        return channelsFirst ? run(transpose, { x: dx }, { perm: [0, 3, 1, 2] }) : dx;
      });
    },
  });
  installed = true;
}
