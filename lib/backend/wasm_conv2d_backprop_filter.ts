/**
 * A kernel the wasm backend (4.22) lacks: `Conv2DBackpropFilter`, the kernel gradient of every 2-D
 * convolution. Without it no `tf.conv2d` or `tf.layers.conv2d` weight can be trained on wasm
 * ("kernel not registered"). The kernel gradient is itself a convolution, which wasm runs with
 * XNNPACK:
 *
 *     dW[i, j, c, f] = Σ_b Σ_(y, x) x̂[b, y·s_h + i, x·s_w + j, c] · dy[b, y, x, f]
 *
 * (x̂ the padded input, s the strides) is a stride-1 convolution of x̂ with its batch and channel
 * axes swapped, by dy used as a kernel dilated by s, cropped to the filter's size. Installed by
 * `useFastestBackend` when it picks wasm.
 */
import * as tf from '@tensorflow/tfjs';
import {
  composeKernels,
  padOrCrop,
  type ConvGradientAttrs,
  type KernelArgs,
  type Shape4D,
  type TensorInfo,
} from './wasm_kernels';

interface FilterGradientAttrs extends ConvGradientAttrs {
  filterShape: Shape4D;
}

let installed = false;

/**
 * Registers `Conv2DBackpropFilter` on the wasm backend, built from its `Conv2D`, `Transpose`,
 * `PadV2` and `Slice` kernels. Does nothing when wasm already has one (a later tfjs) or lacks those.
 */
export function installConv2DBackpropFilter(): void {
  if (installed || tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) return;
  const kernels = ['Conv2D', 'Transpose', 'PadV2', 'Slice'].map((name) =>
    tf.getKernel(name, 'wasm'),
  );
  if (kernels.some((kernel) => kernel === undefined)) return;
  const [conv2d, transpose, pad, slice] = kernels as tf.KernelConfig[];
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (args: KernelArgs) => {
      const { x, dy } = args.inputs as unknown as { x: TensorInfo; dy: TensorInfo };
      const attrs = args.attrs as unknown as FilterGradientAttrs;
      return composeKernels(args, (run) => {
        const channelsFirst = attrs.dataFormat === 'NCHW';
        const toNhwc = { perm: [0, 2, 3, 1] };
        const xNhwc = channelsFirst ? run(transpose, { x }, toNhwc) : x;
        const dyNhwc = channelsFirst ? run(transpose, { x: dy }, toNhwc) : dy;
        const info = tf.backend_util.computeConv2DInfo(
          xNhwc.shape as Shape4D,
          attrs.filterShape,
          attrs.strides,
          1,
          attrs.pad,
          attrs.dimRoundingMode,
        );
        const { top, bottom, left, right } = info.padInfo;
        const [, h, w] = xNhwc.shape;
        const padded = padOrCrop(run, { pad, slice }, xNhwc, [
          [top, h + top + bottom],
          [left, w + left + right],
        ]);
        const swapped = run(transpose, { x: padded }, { perm: [3, 1, 2, 0] }); // [c, h, w, b]
        const asKernel = run(transpose, { x: dyNhwc }, { perm: [1, 2, 0, 3] }); // [h', w', b, f]
        const correlated = run(
          conv2d,
          { x: swapped, filter: asKernel },
          {
            strides: [1, 1],
            pad: 'valid',
            dataFormat: 'NHWC',
            dilations: [info.strideHeight, info.strideWidth],
          },
        ); // [c, ≥ kh, ≥ kw, f]
        const [kh, kw] = attrs.filterShape;
        const cropped = padOrCrop(run, { pad, slice }, correlated, [
          [0, kh],
          [0, kw],
        ]);
        return run(transpose, { x: cropped }, { perm: [1, 2, 0, 3] });
      });
    },
  });
  installed = true;
}
