import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installConv2DBackpropInput } from '../lib/wasm_conv2d_backprop_input';

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
}

// Strides 1, 2 and 3 (non-square too), valid, same and explicit padding, inputs the strides do not
// tile exactly (rows past the last window get no gradient), 1 × 1 kernels, and channels-first.
const cases: Case[] = [
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
function inputGradient(c: Case): number[] {
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

/** Gradients of a two-convolution tf.layers model (the second conv needs the input gradient). */
function layersModelGradients(): number[][] {
  return tf.tidy(() => {
    const conv = (seed: number, strides: number) =>
      tf.layers.conv2d({
        filters: 3,
        kernelSize: 3,
        strides,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotNormal({ seed }),
      });
    const model = tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [9, 9, 2] }),
        conv(7, 2),
        conv(8, 1),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) }),
      ],
    });
    const x = tf.randomNormal([3, 9, 9, 2], 0, 1, 'float32', 10);
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar,
    );
    const values = Object.keys(grads)
      .sort()
      .map((name) => Array.from(grads[name].dataSync()));
    model.dispose();
    return values;
  });
}

describe('the wasm Conv2DBackpropInput kernel', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the cpu backend’s input gradients and leaks no wasm memory', async () => {
    await tf.setBackend('cpu');
    const expected = cases.map(inputGradient);
    const expectedModel = layersModelGradients();
    await tf.setBackend('wasm');
    installConv2DBackpropInput();
    installConv2DBackpropInput(); // idempotent
    // The filter gradient is wasm's own only once installConv2DBackpropFilter ran: the model below
    // needs it, so it is installed too.
    (await import('../lib/wasm_conv2d_backprop_filter')).installConv2DBackpropFilter();
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const dataIds = backend.numDataIds();
    cases.forEach((c, k) => {
      const actual = inputGradient(c);
      actual.forEach((v, i) =>
        expect(Math.abs(v - expected[k][i])).toBeLessThan(1e-4 * (1 + Math.abs(v))),
      );
    });
    const actualModel = layersModelGradients();
    actualModel.forEach((values, k) =>
      values.forEach((v, i) =>
        expect(Math.abs(v - expectedModel[k][i])).toBeLessThan(1e-4 * (1 + Math.abs(v))),
      ),
    );
    expect(backend.numDataIds()).toBe(dataIds);
  });
});
