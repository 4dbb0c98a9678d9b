/**
 * `.grad` accumulation, `gradsMap` with tfjs optimizers, tf.layers models, and memory.
 */
import * as tf from '@tensorflow/tfjs';
import {
  backward,
  disposeGraph,
  grad,
  gradOf,
  gradsMap,
  record,
  zeroGrad,
} from '../../lib/autograd';

function makeModel(seed: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [4],
        units: 6,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed }),
      }),
      tf.layers.dense({
        units: 2,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      }),
    ],
  });
}

function mse(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('accumulation', () => {
  it('adds up across backward passes until zeroGrad', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    for (let step = 1; step <= 3; step++) {
      const loss = record(() => tf.sum(tf.square(w)));
      backward(loss);
      loss.dispose();
      // d/dw Σw² = 2w, added once per step.
      expect(Array.from(gradOf(w)!.dataSync())).toEqual([2 * step, -4 * step]);
    }
    zeroGrad([w]);
    expect(gradOf(w)).toBeNull();
    w.dispose();
  });
});

describe('gradsMap feeds tfjs optimizers exactly like tf.variableGrads', () => {
  const optimizers: (() => tf.Optimizer)[] = [() => tf.train.sgd(0.1), () => tf.train.adam(0.01)];
  for (const makeOptimizer of optimizers) {
    it(`matches variableGrads + applyGradients for ${makeOptimizer().getClassName()}`, () => {
      const ours = makeModel(1);
      const reference = makeModel(1);
      const optimizerOurs = makeOptimizer();
      const optimizerReference = makeOptimizer();
      const x = tf.randomNormal([8, 4], 0, 1, 'float32', 3);
      const y = tf.randomNormal([8, 2], 0, 1, 'float32', 4);
      for (let step = 0; step < 5; step++) {
        const loss = record(() => mse(ours, x, y));
        backward(loss);
        optimizerOurs.applyGradients(gradsMap());
        zeroGrad();
        loss.dispose();

        const { value, grads } = tf.variableGrads(() => mse(reference, x, y));
        optimizerReference.applyGradients(grads);
        tf.dispose([value, grads]);
      }
      ours.getWeights().forEach((w, i) => {
        expect(maxAbsDiff(w, reference.getWeights()[i])).toBeLessThan(1e-5);
      });
      tf.dispose([x, y]);
      optimizerOurs.dispose();
      optimizerReference.dispose();
      ours.dispose();
      reference.dispose();
    });
  }
});

describe('tf.layers models', () => {
  it('gives the gradients of tf.variableGrads for Conv2D, Embedding and LayerNormalization', () => {
    const input = tf.input({ shape: [5] });
    const embedded = tf.layers.embedding({ inputDim: 10, outputDim: 4 }).apply(input);
    const reshaped = tf.layers.reshape({ targetShape: [5, 4, 1] }).apply(embedded);
    const conv = tf.layers
      .conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' })
      .apply(reshaped) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(conv);
    const normed = tf.layers.layerNormalization().apply(flat);
    const output = tf.layers.dense({ units: 1 }).apply(normed) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    const x = tf.tensor2d([
      [1, 2, 3, 4, 5],
      [9, 8, 7, 6, 0],
    ]);
    const objective = () => tf.sum(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar;

    const loss = record(objective);
    backward(loss);
    const { value, grads } = tf.variableGrads(objective);
    const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
    expect(trainable.length).toBe(Object.keys(grads).length);
    for (const variable of trainable) {
      expect(gradOf(variable)).not.toBeNull();
      expect(maxAbsDiff(gradOf(variable)!, grads[variable.name])).toBeLessThan(1e-5);
    }
    tf.dispose([loss, value, grads, x]);
    zeroGrad();
    model.dispose();
  });

  it('differentiates ops with several outputs (split, unstack) and a variable used twice', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3, 4]));
    const objective = () => {
      const [a, b] = tf.split(v, 2);
      const [c] = tf.unstack(v.reshape([2, 2]));
      return tf.sum(tf.mul(a, b)).add(tf.sum(tf.mul(c, v.slice(0, 2))));
    };
    const loss = record(objective);
    const [ours] = grad(loss, v);
    const { value, grads } = tf.variableGrads(objective as () => tf.Scalar);
    expect(maxAbsDiff(ours, grads[v.name])).toBeLessThan(1e-6);
    tf.dispose([loss, ours, value, grads, v]);
  });
});

describe('memory', () => {
  function trainingLoop(iterations: number, retainGraph: boolean): number {
    const model = makeModel(7);
    const optimizer = tf.train.sgd(0.01);
    const x = tf.randomNormal([8, 4]);
    const y = tf.randomNormal([8, 2]);
    const step = () => {
      const out = record(() => ({ loss: mse(model, x, y) }));
      backward(out.loss, { retainGraph });
      optimizer.applyGradients(gradsMap());
      zeroGrad();
      if (retainGraph) disposeGraph(out);
      out.loss.dispose();
    };
    step(); // optimizer state and lazily built weights exist from here on
    const before = tf.memory().numTensors;
    for (let i = 0; i < iterations; i++) step();
    const growth = tf.memory().numTensors - before;
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
    return growth;
  }

  it('500 record/backward/step iterations leave numTensors unchanged', () => {
    expect(trainingLoop(500, false)).toBe(0);
  });

  it('the same with retainGraph and disposeGraph', () => {
    expect(trainingLoop(500, true)).toBe(0);
  });

  it('frees a graph never differentiated once its outputs are disposed', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const step = () => record(() => tf.sum(tf.exp(w))).dispose();
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) step();
    step();
    expect(tf.memory().numTensors - before).toBe(0);
    w.dispose();
  });

  it('works inside tf.tidy', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    record(() => tf.scalar(0)).dispose(); // collects graphs left by earlier specs
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      tf.tidy(() => {
        backward(record(() => tf.sum(tf.square(w))));
      });
    }
    expect(Array.from(gradOf(w)!.dataSync())).toEqual([100, 200, 300]);
    zeroGrad();
    record(() => tf.scalar(0)).dispose(); // lets the last graph be collected
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });
});
