import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installConv2DBackpropFilter } from '../../lib/backend/wasm_conv2d_backprop_filter';
import { installDepthwiseConv2dBackprop } from '../../lib/backend/wasm_depthwise_conv2d_backprop';
import { expectCloseArrays, modelGradients, wasmDataIds } from './_wasm_kernels';

interface DepthwiseCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
}

// Channel multipliers 1 and 3, strides 1, 2 and [2, 3], valid, same and explicit padding, an input
// the strides do not tile exactly, and a batch of one.
const cases: DepthwiseCase[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'valid' },
  { x: [2, 7, 6, 2], filter: [3, 2, 2, 3], strides: 1, pad: 'same' },
  { x: [3, 9, 8, 2], filter: [3, 3, 2, 2], strides: 2, pad: 'valid' },
  { x: [2, 8, 9, 3], filter: [2, 3, 3, 1], strides: [2, 3], pad: 'same' },
  { x: [1, 6, 6, 1], filter: [3, 3, 1, 2], strides: 1, pad: 1 },
];

/** Both gradients for a seeded x, filter and dy, by the current backend's kernels. */
function gradients(c: DepthwiseCase): number[][] {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal(c.filter, 0, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.depthwiseConv2d(x, filter, c.strides, c.pad);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    const common = { strides: c.strides, pad: c.pad, dilations: 1 };
    const dW = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
      ...common,
      filterShape: c.filter,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, {
      ...common,
      inputShape: c.x,
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect([dW.shape, dx.shape]).toEqual([c.filter, c.x]);
    return [Array.from(dW.dataSync()), Array.from(dx.dataSync())];
  });
}

/** The weight gradients of a separable convolution then a depthwise one. */
function separableModelGradients(): number[][] {
  return modelGradients(() => [
    tf.layers.separableConv2d({
      filters: 4,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      depthMultiplier: 2,
      activation: 'relu',
      depthwiseInitializer: tf.initializers.glorotNormal({ seed: 5 }),
      pointwiseInitializer: tf.initializers.glorotNormal({ seed: 6 }),
    }),
    tf.layers.depthwiseConv2d({
      kernelSize: 3,
      padding: 'same',
      depthwiseInitializer: tf.initializers.glorotNormal({ seed: 7 }),
    }),
  ]);
}

describe('the wasm depthwise convolution gradient kernels', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('give the cpu backend’s gradients, leak no wasm memory, and train separable layers', async () => {
    await tf.setBackend('cpu');
    const expected = cases.map(gradients);
    const expectedModel = separableModelGradients();
    await tf.setBackend('wasm');
    // tfjs-backend-wasm 4.22 has neither: what runs below are the kernels installed here.
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')).toBeUndefined();
    installDepthwiseConv2dBackprop();
    installDepthwiseConv2dBackprop(); // idempotent
    installConv2DBackpropFilter(); // the pointwise convolution's gradient
    const dataIds = wasmDataIds();
    cases.forEach((c, k) => expectCloseArrays(gradients(c), expected[k]));
    expectCloseArrays(separableModelGradients(), expectedModel);
    expect(wasmDataIds()).toBe(dataIds);
  });
});
