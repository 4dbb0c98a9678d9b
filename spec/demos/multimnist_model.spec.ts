import * as tf from '@tensorflow/tfjs';
import { Mean, mtlGrads } from '../../lib';
import { buildMultiMnist, makeBatch } from '../../demos/multimnist/data';
import { createModel, disposeModel, forward, modelVariables } from '../../demos/multimnist/model';

const close = (a: tf.Tensor, b: tf.Tensor, tolerance = 1e-4) => {
  expect(a.shape).toEqual(b.shape);
  const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  const scale = tf.tidy(() => tf.max(tf.abs(b)).dataSync()[0]);
  expect(difference).toBeLessThanOrEqual(tolerance * Math.max(1, scale));
};

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
