import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { convModelGradients, expectCloseArrays, wasmDataIds, type ConvCase } from './_wasm_kernels';
import { installConv2DBackpropFilter } from '../../lib/backend/wasm_conv2d_backprop_filter';

// Strides 1 and 2 (non-square too), valid, same and explicit padding, an input the strides do not
// tile exactly (a cropped result), a batch of one, and channels-first.
const cases: ConvCase[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid', dataFormat: 'NHWC' },
  { x: [2, 7, 6, 3], filter: [3, 2, 3, 4], strides: 1, pad: 'same', dataFormat: 'NHWC' },
  { x: [3, 9, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid', dataFormat: 'NHWC' },
  { x: [2, 8, 9, 2], filter: [2, 3, 2, 3], strides: [2, 3], pad: 'same', dataFormat: 'NHWC' },
  { x: [1, 6, 6, 1], filter: [3, 3, 1, 2], strides: 1, pad: 1, dataFormat: 'NHWC' },
  { x: [2, 3, 7, 7], filter: [3, 3, 3, 2], strides: 2, pad: 'same', dataFormat: 'NCHW' },
];

/** The kernel gradient for a seeded x and dy, by the current backend's Conv2DBackpropFilter. */
function filterGradient(c: ConvCase): number[] {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal(c.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
    const toNhwc = (t: tf.Tensor4D) =>
      c.dataFormat === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t;
    // The output shape comes from a forward pass in NHWC (the cpu backend's own kernel).
    const y = tf.conv2d(toNhwc(x) as tf.Tensor4D, filter, c.strides, c.pad);
    const dyNhwc = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    const dy = c.dataFormat === 'NCHW' ? tf.transpose(dyNhwc, [0, 3, 1, 2]) : dyNhwc;
    const dW = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      strides: c.strides,
      pad: c.pad,
      dataFormat: c.dataFormat,
      filterShape: c.filter,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(dW.shape).toEqual(c.filter);
    return Array.from(dW.dataSync());
  });
}

describe('the wasm Conv2DBackpropFilter kernel', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the cpu backend’s kernel gradients, leaks no wasm memory, and trains tf.layers.conv2d', async () => {
    await tf.setBackend('cpu');
    const expected = cases.map(filterGradient);
    const expectedModel = convModelGradients(1);
    await tf.setBackend('wasm');
    // tfjs-backend-wasm 4.22 has none: what runs below is the kernel installed here.
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    installConv2DBackpropFilter();
    installConv2DBackpropFilter(); // idempotent
    const dataIds = wasmDataIds();
    expectCloseArrays(cases.map(filterGradient), expected);
    expectCloseArrays(convModelGradients(1), expectedModel);
    expect(wasmDataIds()).toBe(dataIds);
  });
});
