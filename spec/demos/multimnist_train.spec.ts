import * as tf from '@tensorflow/tfjs';
import { buildMultiMnist, makeBatch } from '../../demos/multimnist/data';
import {
  createMethod,
  isAggregator,
  METHOD_DESCRIPTIONS,
  methodListing,
  METHODS,
} from '../../demos/multimnist/methods';
import { createModel, disposeModel, forward, modelVariables } from '../../demos/multimnist/model';
import { trainMethod } from '../../demos/multimnist/train';

// Small enough for the cpu backend: a 28 × 28 canvas and a narrow network.
const data = buildMultiMnist({
  trainPairs: 64,
  testPairs: 32,
  seed: 3,
  layout: { canvasSize: 28, jitter: 0 },
});
const sizes = { filters: [2, 4] as [number, number], featureUnits: 8 };

describe('the method registry', () => {
  it('rejects an unknown name and lists the known ones', () => {
    expect(() => createMethod('sgd', 0)).toThrow(/Unknown method 'sgd'.*upgrad.*famo/);
  });

  it('has the methods the demo documents, aggregators and scalarizers', () => {
    for (const name of [
      'upgrad',
      'mean',
      'mgda',
      'pcgrad',
      'cagrad',
      'nashmtl',
      'imtlg',
      'dualproj',
      'uw',
      'stch',
      'dwa',
      'famo',
    ]) {
      expect(Object.keys(METHODS)).toContain(name);
    }
  });

  it('--list: two groups, every method once with its one-line description', () => {
    const listing = methodListing();
    const [aggregators, scalarizers] = listing.split('\n\n');
    expect(aggregators).toMatch(/^Aggregators \(Jacobian descent/);
    expect(scalarizers).toMatch(/^Scalarizers \(gradient descent on one scalar/);
    for (const name of Object.keys(METHODS)) {
      const group = isAggregator(name) ? aggregators : scalarizers;
      const line = group.split('\n').find((l) => l.trim().split(/\s+/)[0] === name);
      expect(line).toBeDefined();
      expect(line).toContain(METHOD_DESCRIPTIONS[name]);
    }
    expect(isAggregator('upgrad')).toBe(true);
    expect(isAggregator('ls')).toBe(false);
    expect(listing.split('\n').filter((l) => /^ {2}\S/.test(l))).toHaveLength(
      Object.keys(METHODS).length,
    );
  });

  it.each(Object.keys(METHODS))(
    '%s: steps update the model, return finite losses, leak nothing',
    (name) => {
      const model = createModel({ ...sizes, canvasSize: 28, seed: 4 });
      const variables = modelVariables(model);
      const optimizer = tf.train.adam(0.01);
      const batch = makeBatch(data.digits, data.train, 28, 0, 8);
      const method = createMethod(name, 1);
      const before = variables.map((v) => v.dataSync().slice());
      const step = () => method.step(() => forward(model, batch), variables, optimizer);
      step(); // the optimizer creates its slots on the first step
      method.endEpoch();
      const tensors = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const losses = step();
        expect(losses).toHaveLength(2);
        expect(losses.every(Number.isFinite)).toBe(true);
      }
      method.endEpoch();
      expect(tf.memory().numTensors).toBe(tensors);
      const after = variables.map((v) => v.dataSync());
      expect(after.every((values) => values.every(Number.isFinite))).toBe(true);
      // Every trunk variable moved (the heads too, except under methods that may zero a task).
      const trunkCount = model.trunk.trainableWeights.length;
      for (let i = 0; i < trunkCount; i++) expect(after[i]).not.toEqual(before[i]);
      method.dispose();
      optimizer.dispose();
      tf.dispose([batch.images, batch.leftLabels, batch.rightLabels]);
      disposeModel(model);
    },
  );
});

describe('trainMethod', () => {
  it('records epoch 0 and each epoch, lowers the training loss, and frees everything', () => {
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const run = trainMethod(
      'upgrad',
      data,
      { epochs: 4, batchSize: 16, learningRate: 0.01, seed: 0, progress: false, model: sizes },
      (result) => seen.push(result.epoch),
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(run.label).toBe('UPGrad');
    expect(run.epochs[0].trainLoss.every(Number.isNaN)).toBe(true);
    for (const epoch of run.epochs) {
      for (const a of epoch.testAccuracy) {
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
        // Accuracies are counts over the 32 test pairs.
        expect(Number.isInteger(a * 32)).toBe(true);
      }
    }
    // Four passes over the same 64 pairs must fit them better than the first pass did.
    const [first, last] = [run.epochs[1].trainLoss, run.epochs[4].trainLoss];
    expect(last[0]).toBeLessThan(first[0]);
    expect(last[1]).toBeLessThan(first[1]);
    expect(run.seconds).toBeGreaterThan(0);
  });
});
