/**
 * Batched backward passes through whole tf.layers models, losses included: `jac` of per-instance
 * losses with every row at once (`parallelChunkSize` undefined) equals the sequential result
 * (`parallelChunkSize: 1`), no kernel on the way falls back to one pass per row, and nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { fallbackCounts, record } from '../../lib/autograd';
import { jac } from '../../lib/autojac';

const BATCH = 6;
const CLASSES = 3;

interface Case {
  model: tf.LayersModel;
  x: tf.Tensor;
  labels: tf.Tensor;
  losses: (logits: tf.Tensor, labels: tf.Tensor) => tf.Tensor;
}

const perInstanceCrossEntropy = (logits: tf.Tensor, labels: tf.Tensor) =>
  tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.NONE);

function labelsOf(seed: number): tf.Tensor {
  const classes = Array.from({ length: BATCH }, (_, i) => (i * 7 + seed) % CLASSES);
  return tf.oneHot(tf.tensor1d(classes, 'int32'), CLASSES);
}

const CASES: [string, () => Case][] = [
  [
    'an MLP (relu, tanh, elu, relu6 layers) with per-instance softmax cross-entropy losses',
    () => ({
      model: tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [8], units: 12, activation: 'relu' }),
          tf.layers.dense({ units: 10, activation: 'tanh' }),
          tf.layers.dense({ units: 10, activation: 'elu' }),
          tf.layers.dense({ units: 8, activation: 'relu6' }),
          tf.layers.dense({ units: CLASSES }),
        ],
      }),
      x: tf.randomNormal([BATCH, 8], 0, 1, 'float32', 1),
      labels: labelsOf(1),
      losses: perInstanceCrossEntropy,
    }),
  ],
  [
    'a conv net: linear and relu conv2d, max and average pooling, dropout (inference), dense',
    () => ({
      model: tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [9, 9, 2], filters: 4, kernelSize: 3 }),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.conv2d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu' }),
          tf.layers.averagePooling2d({ poolSize: 2 }),
          tf.layers.dropout({ rate: 0.5 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: CLASSES }),
        ],
      }),
      x: tf.randomNormal([BATCH, 9, 9, 2], 0, 1, 'float32', 2),
      labels: labelsOf(2),
      losses: perInstanceCrossEntropy,
    }),
  ],
  [
    'embedding, LSTM and GRU, with a negative log-likelihood through logSoftmax',
    () => ({
      model: tf.sequential({
        layers: [
          tf.layers.embedding({ inputDim: 11, outputDim: 4, inputLength: 5 }),
          tf.layers.lstm({ units: 4, returnSequences: true }),
          tf.layers.gru({ units: 3 }),
          tf.layers.dense({ units: CLASSES }),
        ],
      }),
      x: tf.tensor2d(
        Array.from({ length: BATCH * 5 }, (_, i) => (i * 5 + 3) % 11),
        [BATCH, 5],
      ),
      labels: labelsOf(3),
      losses: (logits, labels) => tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1)),
    }),
  ],
  [
    'separable conv, batch and layer normalization (inference), global pooling, huber loss',
    () => ({
      model: tf.sequential({
        layers: [
          tf.layers.separableConv2d({ inputShape: [7, 7, 2], filters: 4, kernelSize: 3 }),
          tf.layers.batchNormalization(),
          tf.layers.activation({ activation: 'relu' }),
          tf.layers.globalAveragePooling2d({}),
          tf.layers.layerNormalization(),
          tf.layers.dense({ units: CLASSES }),
        ],
      }),
      x: tf.randomNormal([BATCH, 7, 7, 2], 0, 1, 'float32', 4),
      labels: labelsOf(4),
      losses: (outputs, targets) =>
        tf.sum(tf.losses.huberLoss(targets, outputs, undefined, 0.5, tf.Reduction.NONE), 1),
    }),
  ],
];

function fallbackTotal(): number {
  return [...fallbackCounts.values()].reduce((a, b) => a + b, 0);
}

describe('batched backward passes through tf.layers models', () => {
  it.each(CASES)('%s', (_name, build) => {
    const { model, x, labels, losses: lossesOf } = build();
    const params = model.trainableWeights.map((w) => w.read());
    const jacobians = (chunk: number | undefined, retainGraph: boolean) => {
      const losses = record(() => lossesOf(model.apply(x) as tf.Tensor, labels));
      expect(losses.shape).toEqual([BATCH]);
      const result = jac(losses, params, { parallelChunkSize: chunk, retainGraph });
      losses.dispose();
      return result;
    };
    tf.dispose(jacobians(undefined, false)); // warm-up: tfjs-layers' one-time tensors
    const before = tf.memory().numTensors;
    const fallbacks = fallbackTotal();
    const kernels = new Map(fallbackCounts);
    for (let step = 0; step < 3; step++) {
      const batched = jacobians(undefined, false);
      expect(fallbackTotal()).toBe(fallbacks);
      const sequential = jacobians(1, false);
      batched.forEach((jacobian, i) => {
        expect(jacobian.shape).toEqual([BATCH, ...params[i].shape]);
        const [error, scale] = tf.tidy(() => [
          tf.max(tf.abs(tf.sub(jacobian, sequential[i]))).dataSync()[0],
          tf.max(tf.abs(sequential[i])).dataSync()[0],
        ]);
        expect(error).toBeLessThan(1e-5 * Math.max(1, scale));
      });
      // Rows of a per-instance Jacobian are not all alike: the comparison is not of zeros.
      expect(tf.tidy(() => tf.max(tf.abs(batched[0])).dataSync()[0])).toBeGreaterThan(0);
      tf.dispose([batched, sequential]);
    }
    expect(new Map(fallbackCounts)).toEqual(kernels);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tf.dispose([x, labels]);
  });
});
