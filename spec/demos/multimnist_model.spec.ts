import * as tf from '@tensorflow/tfjs';
import { Mean, mtlGrads } from '../../lib';
import {
  conv2dInputGradient,
  conv2dKernelGradient,
  validConv2d,
  validConv2dOfData,
  WasmTrainableConv2D,
} from '../../demos/multimnist/conv_layer';
import { buildMultiMnist, makeBatch } from '../../demos/multimnist/data';
import { createModel, disposeModel, forward, modelVariables } from '../../demos/multimnist/model';

const close = (a: tf.Tensor, b: tf.Tensor, tolerance = 1e-4) => {
  expect(a.shape).toEqual(b.shape);
  const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  const scale = tf.tidy(() => tf.max(tf.abs(b)).dataSync()[0]);
  expect(difference).toBeLessThanOrEqual(tolerance * Math.max(1, scale));
};

describe('convolution gradients made of convolutions', () => {
  // Reference: tfjs's own Conv2D gradient (Conv2DBackpropInput / Conv2DBackpropFilter kernels of
  // the cpu backend), an independent implementation.
  const x = tf.randomNormal([3, 9, 8, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
  const kernel = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomNormal([3, 7, 6, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
  const reference = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'), dy)),
  )([x, kernel]);

  afterAll(() => tf.dispose([x, kernel, dy, ...reference]));

  it('match tfjs for the input and the kernel', () => {
    tf.tidy(() => {
      close(conv2dInputGradient(dy, kernel), reference[0]);
      close(conv2dKernelGradient(x, dy), reference[1]);
    });
  });

  it('are what validConv2d and validConv2dOfData differentiate with', () => {
    tf.tidy(() => {
      const loss = (f: typeof validConv2d) => (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), dy));
      close(validConv2d(x, kernel), tf.conv2d(x, kernel, 1, 'valid'));
      const [dx, dk] = tf.grads(loss(validConv2d))([x, kernel]);
      close(dx, reference[0]);
      close(dk, reference[1]);
      const [dkOfData] = tf.grads((b: tf.Tensor) => loss(validConv2dOfData)(x, b))([kernel]);
      close(dkOfData, reference[1]);
    });
  });

  it('leave no tensor behind', () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      tf.tidy(() => {
        tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(validConv2d(a as tf.Tensor4D, b as tf.Tensor4D)),
        )([x, kernel]);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('WasmTrainableConv2D', () => {
  it('computes relu(conv2d(x, kernel) + bias) with the shape tf.layers.conv2d would give', () => {
    const layer = new WasmTrainableConv2D({
      filters: 3,
      kernelSize: 5,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    });
    const x = tf.randomNormal([2, 12, 10, 2], 0, 1, 'float32', 4);
    const y = layer.apply(x) as tf.Tensor;
    expect(layer.computeOutputShape([null, 12, 10, 2])).toEqual([null, 8, 6, 3]);
    const [kernel, bias] = layer.getWeights();
    tf.tidy(() =>
      close(
        y,
        tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid'), bias)),
      ),
    );
    tf.dispose([x, y]);
    layer.dispose();
  });
});

describe('the MultiMNIST model with mtlGrads', () => {
  const data = buildMultiMnist({ trainPairs: 16, testPairs: 4, seed: 1 });

  it('gives, with Mean, the gradients of the mean loss on the trunk and of each loss on its head', () => {
    // Independent reference: plain tf.variableGrads. Mean averages the rows of the trunk's
    // Jacobian, i.e. the gradient of (ℓ₁ + ℓ₂) / 2; each head only sees its own loss.
    const model = createModel({ canvasSize: 36, seed: 2 });
    const batch = makeBatch(data.digits, data.train, 36);
    const { losses, grads } = mtlGrads(() => forward(model, batch), { aggregator: new Mean() });
    const trunk = model.trunk.trainableWeights.map((w) => w.read() as tf.Variable);
    const heads = [...model.leftHead.trainableWeights, ...model.rightHead.trainableWeights].map(
      (w) => w.read() as tf.Variable,
    );
    const meanLoss = tf.variableGrads(
      () => tf.div(tf.addN(forward(model, batch).losses), 2) as tf.Scalar,
      trunk,
    );
    const sumLoss = tf.variableGrads(
      () => tf.addN(forward(model, batch).losses) as tf.Scalar,
      heads,
    );
    expect(Object.keys(grads).sort()).toEqual(
      modelVariables(model)
        .map((v) => v.name)
        .sort(),
    );
    for (const v of trunk) close(grads[v.name], meanLoss.grads[v.name]);
    for (const v of heads) close(grads[v.name], sumLoss.grads[v.name]);
    // A randomly initialised 10-way classifier starts near ln 10 ≈ 2.30.
    for (const loss of losses)
      expect(Math.abs(loss.dataSync()[0] - Math.log(10))).toBeLessThan(0.5);
    tf.dispose([losses, grads, meanLoss.value, meanLoss.grads, sumLoss.value, sumLoss.grads]);
    tf.dispose([batch.images, batch.leftLabels, batch.rightLabels]);
    disposeModel(model);
  });
});
