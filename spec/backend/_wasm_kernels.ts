/** What the specs of the wasm kernel fixes share: a small conv model and array comparisons. */
import * as tf from '@tensorflow/tfjs';

/** One convolution configuration: input and filter shapes, strides, padding, data format. */
export interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dataFormat: 'NHWC' | 'NCHW';
}

/**
 * The gradients (sorted by variable name) of `Σ model(x)²` for a seeded [3, 9, 9, 2] batch, the
 * model being `layers` (the first takes that input shape) then a dense unit.
 */
export function modelGradients(layers: () => tf.layers.Layer[]): number[][] {
  return tf.tidy(() => {
    const model = tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [9, 9, 2] }),
        ...layers(),
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

/** {@link modelGradients} of `convolutions` 'same' ReLU convolutions, the first with stride 2. */
export function convModelGradients(convolutions: number): number[][] {
  return modelGradients(() =>
    Array.from({ length: convolutions }, (_, k) =>
      tf.layers.conv2d({
        filters: 3,
        kernelSize: 3,
        strides: k === 0 ? 2 : 1,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotNormal({ seed: 4 + k }),
      }),
    ),
  );
}

/** Every entry within 1e-4, relative to its size (float32 results of different algorithms). */
export function expectCloseArrays(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((values, k) => {
    expect(values.length).toBe(expected[k].length);
    values.forEach((v, i) =>
      expect(Math.abs(v - expected[k][i])).toBeLessThan(1e-4 * (1 + Math.abs(v))),
    );
  });
}

/** The wasm backend's count of live data, to show a kernel leaves none behind. */
export function wasmDataIds(): number {
  return (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
}
