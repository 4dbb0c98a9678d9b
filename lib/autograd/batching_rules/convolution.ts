/**
 * Batching rules of the 2-D convolutions: `Conv2D`, the linear `tf.fused.conv2d` custom op that
 * `tf.layers.conv2d` records, `DepthwiseConv2dNative` (depthwise and separable layers) and
 * `Conv2DBackpropInput` (`conv2dTranspose`). The k rows of the input gradient are k more images;
 * those of a filter gradient become k times the channels of one filter gradient, since it is
 * separable per channel.
 */
import * as tf from '@tensorflow/tfjs';
import type { TapeNode } from '../tfjs_internals';
import {
  hasKernels,
  only,
  runKernel,
  savedInput,
  savedOutput,
  transpose,
  unbroadcast,
  type BatchingRule,
} from './common';

/** The convolution attributes the gradient kernels take. */
interface ConvAttrs {
  strides: unknown;
  pad: unknown;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode: unknown;
}

function dilationsAreOne(dilations: unknown): boolean {
  const list = Array.isArray(dilations) ? dilations : [dilations ?? 1];
  return list.every((d) => d === 1);
}

/**
 * What a convolution rule reads of its node: the output gradient, the forward `x` and `filter`,
 * the attributes; or undefined when the rule does not cover the node (a missing tensor, a
 * dilation, a data format other than `formats`, a gradient kernel the backend lacks).
 */
function convolutionOperands(
  node: TapeNode,
  dys: (tf.Tensor | null)[],
  formats: string[],
  kernels: string[],
): { dy: tf.Tensor; x: tf.Tensor; filter: tf.Tensor; attrs: Record<string, unknown> } | undefined {
  const dy = only(node, dys);
  const x = savedInput(node, 'x');
  const filter = savedInput(node, 'filter');
  const attrs = node.attrs;
  if (dy === undefined || x === undefined || filter === undefined || attrs === undefined) {
    return undefined;
  }
  const format = (attrs.dataFormat as string | undefined) ?? formats[0];
  if (!dilationsAreOne(attrs.dilations) || !formats.includes(format)) return undefined;
  return hasKernels(...kernels) ? { dy, x, filter, attrs } : undefined;
}

/**
 * The gradients of `conv2d(x, filter)` for batched `dy` (`[k, ...output.shape]`): of `x` if
 * `wantX`, of `filter` if `wantFilter`.
 */
function conv2dGradients(
  x: tf.Tensor,
  filter: tf.Tensor,
  dy: tf.Tensor,
  k: number,
  attrs: ConvAttrs,
  wantX: boolean,
  wantFilter: boolean,
): { x?: tf.Tensor; filter?: tf.Tensor } {
  const nchw = attrs.dataFormat === 'NCHW';
  const [n, ...rest] = dy.shape.slice(1);
  const out: { x?: tf.Tensor; filter?: tf.Tensor } = {};
  if (wantX) {
    // The k rows are k more images: fold them into the batch.
    const folded = tf.reshape(dy, [k * n, ...rest]);
    const inputShape = [k * x.shape[0], ...x.shape.slice(1)];
    const dx = runKernel('Conv2DBackpropInput', { dy: folded, filter }, { ...attrs, inputShape });
    out.x = tf.reshape(dx, [k, ...x.shape]);
  }
  if (wantFilter) {
    // The filter gradient is separable per output channel: the k rows become k·F output channels.
    const [kh, kw, c, f] = filter.shape;
    const channelsLast = nchw
      ? tf.reshape(transpose(dy, [1, 0, 2, 3, 4]), [n, k * f, rest[1], rest[2]])
      : tf.reshape(transpose(dy, [1, 2, 3, 0, 4]), [n, rest[0], rest[1], k * f]);
    const dw = runKernel(
      'Conv2DBackpropFilter',
      { x, dy: channelsLast },
      { ...attrs, filterShape: [kh, kw, c, k * f] },
    );
    out.filter = transpose(tf.reshape(dw, [kh, kw, c, k, f]), [3, 0, 1, 2, 4]);
  }
  return out;
}

/** Conv2D (NHWC or NCHW, dilation 1 as tfjs's own gradient requires). */
const conv2d: BatchingRule = (node, dys, names, k) => {
  const operands = convolutionOperands(
    node,
    dys,
    ['NHWC', 'NCHW'],
    ['Conv2DBackpropInput', 'Conv2DBackpropFilter'],
  );
  if (operands === undefined) return undefined;
  const { dy, x, filter, attrs } = operands;
  const common: ConvAttrs = {
    strides: attrs.strides,
    pad: attrs.pad,
    dataFormat: attrs.dataFormat === 'NCHW' ? 'NCHW' : 'NHWC',
    dimRoundingMode: attrs.dimRoundingMode,
  };
  const grads = conv2dGradients(
    x,
    filter,
    dy,
    k,
    common,
    names.includes('x'),
    names.includes('filter'),
  );
  return grads as Record<string, tf.Tensor>;
};

/** tfjs's output shape and padding of a convolution, or undefined if it has none. */
function convInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: [number, number],
  pad: 'valid' | 'same',
): tf.backend_util.Conv2DInfo | undefined {
  try {
    return tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad);
  } catch {
    return undefined;
  }
}

/**
 * The strides along spatial axis `axis` (0: height, 1: width) under which a convolution of `x` by
 * `filter` with `pad` has `size` outputs there, each with a key telling apart the convolutions
 * they give: the stride and the leading padding, except that a single output makes the stride
 * irrelevant (the smallest such stride is kept).
 */
function stridesGiving(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  pad: 'valid' | 'same',
  axis: 0 | 1,
  size: number,
): { stride: number; key: string }[] {
  const found: { stride: number; key: string }[] = [];
  for (let stride = 1; stride <= x.shape[1 + axis]; stride++) {
    const strides: [number, number] = axis === 0 ? [stride, 1] : [1, stride];
    const info = convInfo(x.shape, filter.shape, strides, pad);
    if (info === undefined || (axis === 0 ? info.outHeight : info.outWidth) !== size) continue;
    const lead = axis === 0 ? info.padInfo.top : info.padInfo.left;
    const key = `${size === 1 ? '*' : stride}:${lead}`;
    if (!found.some((f) => f.key === key)) found.push({ stride, key });
  }
  return found;
}

/** The strides and padding each fused convolution node ran with, once found (null: unknown). */
const fusedConfigs = new WeakMap<TapeNode, ConvAttrs | null>();

/**
 * The strides and padding of a recorded `tf.fused.conv2d`, whose node carries no attributes (a
 * custom op): of the configurations (`'valid'` or `'same'`, any strides) that give its output
 * shape, the one that reproduces its saved output. Undefined if none or several distinct ones do
 * (the caller's fallback then runs, through the op's own gradient).
 */
function fusedConvConfig(
  node: TapeNode,
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  y: tf.Tensor,
  bias: tf.Tensor | undefined,
): ConvAttrs | undefined {
  const known = fusedConfigs.get(node);
  if (known !== undefined) return known ?? undefined;
  const distinct = new Map<string, ConvAttrs>();
  for (const pad of ['valid', 'same'] as const) {
    // Height and width are independent: the strides along each that give its output size.
    const rows = stridesGiving(x, filter, pad, 0, y.shape[1] as number);
    const columns = stridesGiving(x, filter, pad, 1, y.shape[2] as number);
    for (const row of rows) {
      for (const column of columns) {
        // Same strides (where they matter) and leading padding: the same convolution, whatever
        // the pad was called.
        const key = `${row.key},${column.key}`;
        if (!distinct.has(key)) {
          distinct.set(key, {
            strides: [row.stride, column.stride],
            pad,
            dataFormat: 'NHWC',
            dimRoundingMode: undefined,
          });
        }
      }
    }
  }
  const matches = [...distinct.values()].filter((config) =>
    tf.tidy(() => {
      const product = tf.conv2d(
        x,
        filter,
        config.strides as [number, number],
        config.pad as 'same',
      );
      const value = bias === undefined ? product : tf.add(product, bias);
      const error = tf.max(tf.abs(tf.sub(value, y))).dataSync()[0];
      const scale = tf.max(tf.abs(y)).dataSync()[0];
      return error <= 1e-5 * Math.max(1, scale);
    }),
  );
  const found = matches.length === 1 ? matches[0] : null;
  fusedConfigs.set(node, found);
  return found ?? undefined;
}

/**
 * The custom op `tf.fused.conv2d` records for a linear `tf.layers.conv2d` (a fused activation is
 * never recorded: under a tape tfjs runs it unfused): inputs '0' (the 4-D input), '1' (the filter)
 * and '2' (the optional bias), no attributes. The convolution's configuration is recovered from
 * the shapes and the saved output (see `fusedConvConfig`).
 */
const fusedConv2d: BatchingRule = (node, dys, names, k) => {
  const dy = only(node, dys);
  const x = savedInput(node, '0');
  const filter = savedInput(node, '1');
  const y = savedOutput(node);
  const keys = Object.keys(node.inputs);
  const withBias = keys.length === 3;
  const bias = withBias ? savedInput(node, '2') : undefined;
  if (dy === undefined || x === undefined || filter === undefined || y === undefined) {
    return undefined;
  }
  if (x.rank !== 4 || filter.rank !== 4 || y.rank !== 4 || (withBias && bias === undefined)) {
    return undefined;
  }
  if (!hasKernels('Conv2DBackpropInput', 'Conv2DBackpropFilter')) return undefined;
  const config = fusedConvConfig(node, x as tf.Tensor4D, filter as tf.Tensor4D, y, bias);
  if (config === undefined) return undefined;
  const dy5 = tf.reshape(dy, [k, ...y.shape]);
  const grads = conv2dGradients(
    x,
    filter,
    dy5,
    k,
    config,
    names.includes('0'),
    names.includes('1'),
  );
  const out: Record<string, tf.Tensor> = {};
  if (grads.x !== undefined) out['0'] = grads.x;
  if (grads.filter !== undefined) out['1'] = grads.filter;
  if (names.includes('2') && bias !== undefined) out['2'] = unbroadcast(dy5, bias.shape);
  return out;
};

/**
 * DepthwiseConv2dNative (NHWC, dilation 1, as tfjs's gradient requires): the input gradient folds
 * the k rows into the batch; the filter gradient, separable per output channel `c·M + m`, takes the
 * k rows as k times the channel multiplier M.
 */
const depthwiseConv2d: BatchingRule = (node, dys, names, k) => {
  const kernels = ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'];
  const operands = convolutionOperands(node, dys, ['NHWC'], kernels);
  if (operands === undefined) return undefined;
  const { dy, x, filter, attrs } = operands;
  const common = {
    strides: attrs.strides,
    pad: attrs.pad,
    dimRoundingMode: attrs.dimRoundingMode,
    dilations: attrs.dilations ?? [1, 1],
  };
  const [n, oh, ow] = dy.shape.slice(1);
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('x')) {
    const folded = tf.reshape(dy, [k * n, oh, ow, dy.shape[4] as number]);
    const inputShape = [k * x.shape[0], ...x.shape.slice(1)];
    const dx = runKernel(kernels[0], { dy: folded, filter }, { ...common, inputShape });
    out.x = tf.reshape(dx, [k, ...x.shape]);
  }
  if (names.includes('filter')) {
    const [fh, fw, c, m] = filter.shape;
    const perChannel = tf.reshape(dy, [k, n, oh, ow, c, m]);
    const widened = tf.reshape(transpose(perChannel, [1, 2, 3, 4, 0, 5]), [n, oh, ow, c * k * m]);
    const dw = runKernel(
      kernels[1],
      { x, dy: widened },
      { ...common, filterShape: [fh, fw, c, k * m] },
    );
    out.filter = transpose(tf.reshape(dw, [fh, fw, c, k, m]), [3, 0, 1, 2, 4]);
  }
  return out;
};

/**
 * Conv2DBackpropInput (`tf.conv2dTranspose`, NHWC): its gradient with respect to its `dy` input is
 * a convolution (the k rows as k more images), with respect to the filter a filter gradient whose
 * input varies by row (the k rows as k times the input channels).
 */
const conv2dBackpropInput: BatchingRule = (node, dys, names, k) => {
  const ddx = only(node, dys);
  const dy = savedInput(node, 'dy');
  const filter = savedInput(node, 'filter');
  const attrs = node.attrs;
  if (ddx === undefined || dy === undefined || filter === undefined || attrs === undefined) {
    return undefined;
  }
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC' || !hasKernels('Conv2D', 'Conv2DBackpropFilter')) {
    return undefined;
  }
  const common = {
    strides: attrs.strides,
    pad: attrs.pad,
    dataFormat: 'NHWC',
    dimRoundingMode: attrs.dimRoundingMode,
  };
  const [n, h, w, c] = ddx.shape.slice(1);
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('dy')) {
    const folded = tf.reshape(ddx, [k * n, h, w, c]);
    const y = runKernel('Conv2D', { x: folded, filter }, { ...common, dilations: [1, 1] });
    out.dy = tf.reshape(y, [k, ...dy.shape]);
  }
  if (names.includes('filter')) {
    const [fh, fw, , f] = filter.shape;
    const widened = tf.reshape(transpose(ddx, [1, 2, 3, 0, 4]), [n, h, w, k * c]);
    const dw = runKernel(
      'Conv2DBackpropFilter',
      { x: widened, dy },
      { ...common, filterShape: [fh, fw, k * c, f] },
    );
    out.filter = transpose(tf.reshape(dw, [fh, fw, k, c, f]), [2, 0, 1, 3, 4]);
  }
  return out;
};

/**
 * Conv3D (NDHWC, dilation 1, as tfjs's gradient requires): as Conv2D, the k rows as k more inputs
 * for the input gradient and as k times the output channels for the filter gradient.
 */
const conv3d: BatchingRule = (node, dys, names, k) => {
  const operands = convolutionOperands(
    node,
    dys,
    ['NDHWC'],
    ['Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'],
  );
  if (operands === undefined) return undefined;
  const { dy, x, filter, attrs } = operands;
  const common = { strides: attrs.strides, pad: attrs.pad };
  const [n, ...rest] = dy.shape.slice(1);
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('x')) {
    const folded = tf.reshape(dy, [k * n, ...rest]);
    const inputShape = [k * x.shape[0], ...x.shape.slice(1)];
    const dx = runKernel(
      'Conv3DBackpropInputV2',
      { dy: folded, filter },
      { ...common, inputShape },
    );
    out.x = tf.reshape(dx, [k, ...x.shape]);
  }
  if (names.includes('filter')) {
    const [fd, fh, fw, c, f] = filter.shape;
    const widened = tf.reshape(transpose(dy, [1, 2, 3, 4, 0, 5]), [n, ...rest.slice(0, 3), k * f]);
    const dw = runKernel(
      'Conv3DBackpropFilterV2',
      { x, dy: widened },
      { ...common, filterShape: [fd, fh, fw, c, k * f] },
    );
    out.filter = transpose(tf.reshape(dw, [fd, fh, fw, c, k, f]), [4, 0, 1, 2, 3, 5]);
  }
  return out;
};

export const CONVOLUTION_RULES: Record<string, BatchingRule> = {
  Conv2D: conv2d,
  fusedConv2d__op: fusedConv2d,
  DepthwiseConv2dNative: depthwiseConv2d,
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv3D: conv3d,
};
