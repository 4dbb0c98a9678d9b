/**
 * An IWRM training loop (record → computeGramian → weighting → weighted backward → optimizer)
 * keeps tf.memory().numTensors flat, on every rule path (dense, bias, conv2d, broadcast, embedding,
 * fallback).
 */
import * as tf from '@tensorflow/tfjs';
import { UPGradWeighting } from '../../lib/aggregation/upgrad';
import { backward, gradsMap, record, zeroGrad } from '../../lib/autograd';
import { Engine } from '../../lib/autogram';

it('200 IWRM steps on a Conv2D + LayerNormalization + Dense + BatchNormalization model leak no tensor', () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 2, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.layerNormalization(),
      tf.layers.dense({ units: 3, activation: 'relu' }),
      tf.layers.batchNormalization(), // inference mode: the exact fallback
      tf.layers.dense({ units: 1 }),
    ],
  });
  const x = tf.randomNormal([3, 4, 4, 1], 0, 1, 'float32', 1);
  const y = tf.randomNormal([3, 1], 0, 1, 'float32', 2);
  const engine = new Engine(model);
  const weighting = new UPGradWeighting();
  const optimizer = tf.train.sgd(0.01);
  const vars = engine.weights();
  const step = () => {
    const losses = record(() =>
      tf.reshape(tf.squaredDifference(model.apply(x) as tf.Tensor, y), [-1]),
    );
    const G = engine.computeGramian(losses);
    const w = weighting.apply(G);
    backward(losses, { gradient: w });
    const grads = gradsMap(vars);
    optimizer.applyGradients(grads);
    zeroGrad(vars);
    tf.dispose([losses, G, w]);
  };
  for (let i = 0; i < 5; i++) step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 200; i++) step();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([x, y]);
  optimizer.dispose();
});

it('200 Gramians of an Embedding model, graph disposed by a plain backward, leak no tensor', () => {
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: 5, outputDim: 2, inputLength: 3 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 1 }),
    ],
  });
  const indices = tf.tensor2d(
    [
      [0, 1, 2],
      [3, 4, 0],
    ],
    [2, 3],
    'int32',
  );
  const engine = new Engine(model);
  const step = () => {
    const losses = record(() => tf.reshape(model.apply(indices) as tf.Tensor, [-1]));
    const G = engine.computeGramian(losses);
    const ones = tf.onesLike(losses);
    backward(losses, { gradient: ones });
    zeroGrad();
    tf.dispose([losses, G, ones]);
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 200; i++) step();
  expect(tf.memory().numTensors).toBe(before);
  indices.dispose();
});
