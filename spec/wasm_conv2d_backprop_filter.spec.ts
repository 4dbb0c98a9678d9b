import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installConv2DBackpropFilter } from '../lib/wasm_conv2d_backprop_filter';

type Pad = 'valid' | 'same' | number;
interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
}

// Strides 1 and 2 (non-square too), valid, same and explicit padding, an input the strides do not
// tile exactly (a cropped result), a batch of one, and channels-first.
const cases: Case[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid', dataFormat: 'NHWC' },
  { x: [2, 7, 6, 3], filter: [3, 2, 3, 4], strides: 1, pad: 'same', dataFormat: 'NHWC' },
  { x: [3, 9, 8, 2], filter: [3, 3, 2, 5], strides: 2, pad: 'valid', dataFormat: 'NHWC' },
  { x: [2, 8, 9, 2], filter: [2, 3, 2, 3], strides: [2, 3], pad: 'same', dataFormat: 'NHWC' },
  { x: [1, 6, 6, 1], filter: [3, 3, 1, 2], strides: 1, pad: 1, dataFormat: 'NHWC' },
  { x: [2, 3, 7, 7], filter: [3, 3, 3, 2], strides: 2, pad: 'same', dataFormat: 'NCHW' },
];

/** The kernel gradient for a seeded x and dy, by the current backend's Conv2DBackpropFilter. */
function filterGradient(c: Case): number[] {
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

/** The gradient of a small tf.layers conv model's loss with respect to its weights. */
function layersModelGradients(): number[][] {
  return tf.tidy(() => {
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 2],
          filters: 3,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }),
        }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }) }),
      ],
    });
    const x = tf.randomNormal([4, 8, 8, 2], 0, 1, 'float32', 6);
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

describe('the wasm Conv2DBackpropFilter kernel', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the cpu backend’s kernel gradients, leaks no wasm memory, and trains tf.layers.conv2d', async () => {
    await tf.setBackend('cpu');
    const expected = cases.map(filterGradient);
    const expectedModel = layersModelGradients();
    await tf.setBackend('wasm');
    // tfjs-backend-wasm 4.22 has none: what runs below is the kernel installed here.
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    installConv2DBackpropFilter();
    installConv2DBackpropFilter(); // idempotent
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const dataIds = backend.numDataIds();
    cases.forEach((c, k) => {
      const actual = filterGradient(c);
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
