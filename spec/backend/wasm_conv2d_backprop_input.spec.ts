import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { convModelGradients, expectCloseArrays, wasmDataIds, type ConvCase } from './_wasm_kernels';
import { installConv2DBackpropFilter } from '../../lib/backend/wasm_conv2d_backprop_filter';
import { installConv2DBackpropInput } from '../../lib/backend/wasm_conv2d_backprop_input';

// Strides 1, 2 and 3 (non-square too), valid, same and explicit padding, inputs the strides do not
// tile exactly (rows past the last window get no gradient), 1 × 1 kernels, and channels-first.
const cases: ConvCase[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid', dataFormat: 'NHWC' },
  { x: [2, 7, 6, 3], filter: [3, 2, 3, 4], strides: 1, pad: 'same', dataFormat: 'NHWC' },
  { x: [3, 9, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid', dataFormat: 'NHWC' },
  { x: [2, 8, 9, 2], filter: [2, 3, 2, 3], strides: [2, 3], pad: 'same', dataFormat: 'NHWC' },
  { x: [1, 10, 10, 2], filter: [4, 4, 2, 2], strides: 3, pad: 'valid', dataFormat: 'NHWC' },
  { x: [1, 6, 6, 1], filter: [3, 3, 1, 2], strides: 1, pad: 2, dataFormat: 'NHWC' },
  { x: [2, 5, 5, 3], filter: [1, 1, 3, 2], strides: 2, pad: 'same', dataFormat: 'NHWC' },
  { x: [2, 3, 7, 7], filter: [3, 3, 3, 2], strides: 2, pad: 'same', dataFormat: 'NCHW' },
];

/** The input gradient for a seeded dy and filter, by the current backend's Conv2DBackpropInput. */
function inputGradient(c: ConvCase): number[] {
  return tf.tidy(() => {
    const filter = tf.randomNormal(c.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
    const nhwc: [number, number, number, number] =
      c.dataFormat === 'NCHW' ? [c.x[0], c.x[2], c.x[3], c.x[1]] : c.x;
    const outShape = tf.conv2d(tf.zeros(nhwc) as tf.Tensor4D, filter, c.strides, c.pad).shape;
    const dyNhwc = tf.randomNormal(outShape, 0, 1, 'float32', 3);
    const dy = c.dataFormat === 'NCHW' ? tf.transpose(dyNhwc, [0, 3, 1, 2]) : dyNhwc;
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
      inputShape: c.x,
      strides: c.strides,
      pad: c.pad,
      dataFormat: c.dataFormat,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(dx.shape).toEqual(c.x);
    return Array.from(dx.dataSync());
  });
}

describe('the wasm Conv2DBackpropInput kernel', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the cpu backend’s input gradients and leaks no wasm memory', async () => {
    await tf.setBackend('cpu');
    const expected = cases.map(inputGradient);
    const expectedModel = convModelGradients(2);
    await tf.setBackend('wasm');
    installConv2DBackpropInput();
    installConv2DBackpropInput(); // idempotent
    installConv2DBackpropFilter(); // wasm has none, and the model's kernels need one
    const dataIds = wasmDataIds();
    expectCloseArrays(cases.map(inputGradient), expected);
    expectCloseArrays(convModelGradients(2), expectedModel);
    expect(wasmDataIds()).toBe(dataIds);
  });
});
