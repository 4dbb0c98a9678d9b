/**
 * jdFit: model.fit with Jacobian descent. With Sum it is model.fit step for step; with UPGrad it
 * trains, logs the weights and the cosine; callbacks, validation, stopTraining, memory, errors.
 */
import * as tf from '@tensorflow/tfjs';
import { LossAwareAggregator } from '../../lib/aggregation/loss_aware';
import { MeanWeighting, Sum, UPGrad, UPGradWeighting } from '../../lib/aggregation';
import { InvalidArgumentError } from '../../lib/errors';
import { jdFit } from '../../lib/training';
import { batchRecorder, twoTaskData, twoTaskModel, weightDistance } from './models';

/** Weights each row by its loss, and remembers the losses it was given. */
class LossWeightedSum extends LossAwareAggregator {
  seen: number[][] = [];
  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const losses = Array.from(this.currentLosses);
    this.seen.push(losses);
    return tf.tidy(() => tf.matMul(tf.tensor2d([losses]), matrix).reshape([-1]) as tf.Tensor1D);
  }
}

describe('jdFit', () => {
  let data: { x: tf.Tensor; y1: tf.Tensor; y2: tf.Tensor };
  beforeAll(() => (data = twoTaskData(40)));
  afterAll(() => tf.dispose([data.x, data.y1, data.y2]));

  const optimizers: Array<[string, () => tf.Optimizer]> = [
    ['sgd', () => tf.train.sgd(0.1)],
    ['adam', () => tf.train.adam(0.01)],
  ];
  it.each(optimizers)(
    'with Sum reproduces model.fit step for step (%s, regularizer, metrics)',
    async (_n, optimizer) => {
      const plain = twoTaskModel({ optimizer, regularize: true, metrics: true });
      const jd = twoTaskModel({ optimizer, regularize: true, metrics: true });
      expect(weightDistance(plain, jd)).toBe(0);
      const plainBatches = batchRecorder();
      const jdBatches = batchRecorder();
      const args = { epochs: 3, batchSize: 16, shuffle: false, verbose: 0 as const };
      const expected = await plain.fit(data.x, [data.y1, data.y2], {
        ...args,
        callbacks: plainBatches.callback,
      });
      const actual = await jdFit(jd, data.x, [data.y1, data.y2], {
        ...args,
        aggregator: new Sum(),
        callbacks: jdBatches.callback,
      });
      expect(jdBatches.logs.length).toBe(plainBatches.logs.length);
      plainBatches.logs.forEach((logs, i) => {
        for (const key of ['loss', 'out1_loss', 'out2_loss', 'out2_acc']) {
          expect(jdBatches.logs[i][key]).toBeCloseTo(logs[key], 5);
        }
      });
      for (const key of Object.keys(expected.history)) {
        expected.history[key].forEach((v, e) =>
          expect(actual.history[key][e]).toBeCloseTo(v as number, 5),
        );
      }
      expect(actual.epoch).toEqual(expected.epoch);
      expect(weightDistance(plain, jd)).toBeLessThan(1e-5);
      plain.dispose();
      jd.dispose();
    },
  );

  it('shares the compiled optimizer with model.fit: fit, then jdFit with Sum, is fit twice (Adam)', async () => {
    // Adam keeps its moments by the position of each gradient: jdFit must give them in the order
    // model.fit does, or the moments of one weight would go to another.
    const optimizer = () => tf.train.adam(0.01);
    const twice = twoTaskModel({ optimizer });
    const mixed = twoTaskModel({ optimizer });
    const args = { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 as const };
    await twice.fit(data.x, [data.y1, data.y2], args);
    await twice.fit(data.x, [data.y1, data.y2], args);
    await mixed.fit(data.x, [data.y1, data.y2], args);
    await jdFit(mixed, data.x, [data.y1, data.y2], { ...args, aggregator: new Sum() });
    expect(weightDistance(twice, mixed)).toBeLessThan(1e-5);
    twice.dispose();
    mixed.dispose();
  });

  it("returns tfjs's History keys, sets model.history, logs the weights and the cosine", async () => {
    const model = twoTaskModel({ metrics: true });
    const val = twoTaskData(12, 99);
    const history = await jdFit(model, data.x, [data.y1, data.y2], {
      epochs: 2,
      batchSize: 10,
      verbose: 0,
      validationData: [val.x, [val.y1, val.y2]],
    });
    expect(model.history).toBe(history);
    expect(Object.keys(history.history).sort()).toEqual(
      [
        'cosine',
        'loss',
        'out1_loss',
        'out1_weight',
        'out2_acc',
        'out2_loss',
        'out2_weight',
        'val_loss',
        'val_out1_loss',
        'val_out2_acc',
        'val_out2_loss',
      ].sort(),
    );
    const h = history.history as { [key: string]: number[] };
    h.loss.forEach((loss, e) => expect(loss).toBeCloseTo(h.out1_loss[e] + h.out2_loss[e], 5));
    h.cosine.forEach((c) => {
      expect(c).toBeGreaterThan(-1);
      expect(c).toBeLessThanOrEqual(1 + 1e-6);
    });
    // The validation losses are the model's on the validation data after the last epoch.
    const [p1, p2] = model.predict(val.x) as tf.Tensor[];
    const mse = tf.losses.meanSquaredError(val.y1, p1).dataSync()[0];
    const ce = tf.metrics.categoricalCrossentropy(val.y2, p2).mean().dataSync()[0];
    expect(h.val_out1_loss[1]).toBeCloseTo(mse, 4);
    expect(h.val_out2_loss[1]).toBeCloseTo(ce, 4);
    expect(h.val_loss[1]).toBeCloseTo(mse + ce, 4);
    tf.dispose([p1, p2, val.x, val.y1, val.y2]);
    model.dispose();
  });

  it('with UPGrad (the default) lowers both losses; each batch logs the weights UPGrad chose', async () => {
    const model = twoTaskModel({ seed: 3 });
    const weights: number[][] = [];
    const aggregator = new UPGrad();
    const seenWeights: number[][] = [];
    const handle = aggregator.gramianWeighting.registerForwardHook((_w, _g, out) => {
      seenWeights.push(Array.from(out.dataSync()));
    });
    const history = await jdFit(model, data.x, [data.y1, data.y2], {
      epochs: 8,
      batchSize: 8,
      verbose: 0,
      aggregator,
      callbacks: {
        onBatchEnd: (_b, logs) => void weights.push([logs!.out1_weight, logs!.out2_weight]),
      },
    });
    handle.remove();
    const h = history.history as { [key: string]: number[] };
    expect(h.out1_loss[7]).toBeLessThan(h.out1_loss[0]);
    expect(h.out2_loss[7]).toBeLessThan(h.out2_loss[0]);
    expect(weights.length).toBe(8 * 5);
    weights.forEach((w, i) => {
      expect(w[0]).toBeCloseTo(seenWeights[i][0], 6);
      expect(w[1]).toBeCloseTo(seenWeights[i][1], 6);
    });
    model.dispose();
  });

  it('the cosine is that of the shared update with the mean gradient (checked against the Jacobian)', async () => {
    const model = twoTaskModel({ seed: 5 });
    const x = data.x.slice(0, 8);
    const y1 = data.y1.slice(0, 8);
    const y2 = data.y2.slice(0, 8);
    const trunk = model.getLayer('trunk').trainableWeights.map((w) => w.read() as tf.Variable);
    // The shared Jacobian before the step, by two tf.variableGrads.
    const [p1, p2] = [0, 1].map((k) =>
      tf.variableGrads(() => {
        const [o1, o2] = model.apply(x, { training: true }) as tf.Tensor[];
        return (
          k === 0
            ? tf.losses.meanSquaredError(y1, o1)
            : tf.metrics.categoricalCrossentropy(y2, o2).mean()
        ) as tf.Scalar;
      }, trunk),
    );
    const row = (g: tf.NamedTensorMap) => tf.concat(trunk.map((v) => g[v.name].reshape([-1])));
    const J = tf.stack([row(p1.grads), row(p2.grads)]) as tf.Tensor2D;
    const direction = new UPGrad().apply(J);
    const mean = tf.mean(J, 0);
    const expected = tf
      .div(tf.sum(tf.mul(direction, mean)), tf.mul(tf.norm(direction), tf.norm(mean)))
      .dataSync()[0];
    const logs = batchRecorder();
    await jdFit(model, x, [y1, y2], {
      epochs: 1,
      batchSize: 8,
      verbose: 0,
      callbacks: logs.callback,
    });
    expect(logs.logs[0].cosine).toBeCloseTo(expected, 4);
    expect(expected).toBeLessThan(0.9999);
    tf.dispose([x, y1, y2, J, direction, mean, p1.value, p2.value, p1.grads, p2.grads]);
    model.dispose();
  });

  it('passes the losses to a loss-aware aggregator', async () => {
    const model = twoTaskModel();
    const aggregator = new LossWeightedSum();
    const logs = batchRecorder();
    await jdFit(model, data.x, [data.y1, data.y2], {
      epochs: 1,
      batchSize: 20,
      shuffle: false,
      verbose: 0,
      aggregator,
      callbacks: logs.callback,
    });
    expect(aggregator.seen.length).toBe(2);
    aggregator.seen.forEach((losses, i) => {
      expect(losses[0]).toBeCloseTo(logs.logs[i].out1_loss, 5);
      expect(losses[1]).toBeCloseTo(logs.logs[i].out2_loss, 5);
    });
    model.dispose();
  });

  it('lossWeights scale each loss before the Jacobian (Sum: the gradient of the weighted sum)', async () => {
    const jd = twoTaskModel({ seed: 7 });
    const reference = twoTaskModel({ seed: 7 });
    const x = data.x.slice(0, 8);
    const y1 = data.y1.slice(0, 8);
    const y2 = data.y2.slice(0, 8);
    const logs = batchRecorder();
    await jdFit(jd, x, [y1, y2], {
      epochs: 1,
      batchSize: 8,
      verbose: 0,
      aggregator: new Sum(),
      lossWeights: { out1: 0.5, out2: 2 },
      callbacks: logs.callback,
    });
    const optimizer = tf.train.sgd(0.1);
    optimizer.minimize(() => {
      const [o1, o2] = reference.apply(x, { training: true }) as tf.Tensor[];
      return tf.add(
        tf.mul(tf.losses.meanSquaredError(y1, o1), 0.5),
        tf.mul(tf.metrics.categoricalCrossentropy(y2, o2).mean(), 2),
      ) as tf.Scalar;
    });
    expect(weightDistance(jd, reference)).toBeLessThan(1e-6);
    const { out1_loss, out2_loss, loss } = logs.logs[0];
    expect(loss).toBeCloseTo(0.5 * out1_loss + 2 * out2_loss, 5);
    tf.dispose([x, y1, y2]);
    optimizer.dispose();
    jd.dispose();
    reference.dispose();
  });

  it('honours stopTraining, tf.callbacks.earlyStopping, initialEpoch and stepsPerEpoch', async () => {
    const model = twoTaskModel();
    let batches = 0;
    const stopped = await jdFit(model, data.x, [data.y1, data.y2], {
      epochs: 5,
      batchSize: 8,
      verbose: 0,
      callbacks: {
        onBatchEnd: (b) => {
          batches++;
          if (b === 2) model.stopTraining = true;
        },
      },
    });
    expect(batches).toBe(3);
    expect(stopped.epoch).toEqual([0]);

    // patience 0 on a loss that cannot improve (lr 0): stops after the second epoch.
    const frozen = twoTaskModel({ optimizer: () => tf.train.sgd(0) });
    const early = await jdFit(frozen, data.x, [data.y1, data.y2], {
      epochs: 10,
      batchSize: 40,
      verbose: 0,
      shuffle: false,
      callbacks: [tf.callbacks.earlyStopping({ monitor: 'loss', patience: 0 })],
    });
    expect(early.epoch).toEqual([0, 1]);

    const epochs: number[] = [];
    const steps: number[] = [];
    const resumed = await jdFit(model, data.x, [data.y1, data.y2], {
      epochs: 4,
      initialEpoch: 2,
      stepsPerEpoch: 7,
      batchSize: 8,
      verbose: 0,
      callbacks: {
        onEpochBegin: (e) => void epochs.push(e),
        onBatchEnd: (b) => void steps.push(b),
      },
    });
    expect(epochs).toEqual([2, 3]);
    expect(resumed.epoch).toEqual([2, 3]);
    expect(steps).toEqual([0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6]);
    model.dispose();
    frozen.dispose();
  });

  it('passes yieldEvery to the CustomCallbackArgs, as fit does', async () => {
    const model = twoTaskModel();
    let frames = 0;
    let batches = 0;
    await jdFit(model, data.x, [data.y1, data.y2], {
      epochs: 2,
      batchSize: 10,
      verbose: 0,
      yieldEvery: 'batch',
      callbacks: {
        onBatchEnd: () => void batches++,
        nextFrameFunc: async () => void frames++,
      },
    });
    expect(batches).toBe(8);
    expect(frames).toBe(8);
    model.dispose();
  });

  it('validationSplit validates on the last rows and trains on the others', async () => {
    const model = twoTaskModel();
    const sizes: number[] = [];
    const history = await jdFit(model, data.x, [data.y1, data.y2], {
      epochs: 1,
      batchSize: 16,
      validationSplit: 0.25,
      verbose: 0,
      callbacks: { onBatchEnd: (_b, logs) => void sizes.push(logs!.size) },
    });
    expect(sizes).toEqual([16, 14]);
    const tail = tf.tidy(() => {
      const [p1] = model.predict(data.x.slice(30, 10)) as tf.Tensor[];
      return tf.losses.meanSquaredError(data.y1.slice(30, 10), p1).dataSync()[0];
    });
    expect((history.history.val_out1_loss as number[])[0]).toBeCloseTo(tail, 4);
    model.dispose();
  });

  it('keeps tf.memory().numTensors flat over many epochs and calls', async () => {
    const model = twoTaskModel({ regularize: true, metrics: true });
    const args = { epochs: 2, batchSize: 8, verbose: 0 as const, validationSplit: 0.2 };
    await jdFit(model, data.x, [data.y1, data.y2], args); // optimizer slots are created once
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++)
      await jdFit(model, data.x, [data.y1, data.y2], { ...args, epochs: 4 });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('prints what model.fit prints in Node with verbose: 1', async () => {
    const model = twoTaskModel();
    const lines: string[] = [];
    const spy = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    try {
      await jdFit(model, data.x, [data.y1, data.y2], { epochs: 2, batchSize: 10 });
    } finally {
      spy.mockRestore();
    }
    expect(lines[0]).toBe('Epoch 1 / 2\n');
    expect(lines[1]).toMatch(
      /^\d+ms \d+us\/step - cosine=\S+ loss=\S+ out1_loss=\S+ out1_weight=\S+ out2_loss=\S+ out2_weight=\S+\n$/,
    );
    expect(lines[2]).toBe('Epoch 2 / 2\n');
    expect(lines.length).toBe(4);
    model.dispose();
  });

  describe('bad input: an InvalidArgumentError naming the argument', () => {
    const expectInvalid = async (promise: Promise<unknown>, argument: string) => {
      const error = await promise.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
    };

    it('an uncompiled model', async () => {
      const model = twoTaskModel({ compile: false });
      await expectInvalid(jdFit(model, data.x, [data.y1, data.y2]), 'model');
      model.dispose();
    });

    it('y with the wrong number of outputs or rows', async () => {
      const model = twoTaskModel();
      await expectInvalid(jdFit(model, data.x, [data.y1], { verbose: 0 }), 'y');
      const short = data.y2.slice(0, 30);
      await expectInvalid(jdFit(model, data.x, [data.y1, short], { verbose: 0 }), 'y');
      await expectInvalid(
        jdFit(model, data.x, { out1: data.y1, out3: data.y2 }, { verbose: 0 }),
        'y',
      );
      short.dispose();
      model.dispose();
    });

    it('a single-output model without weighting, an aggregator that is not one', async () => {
      const single = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [4] })] });
      single.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await expectInvalid(jdFit(single, data.x, data.y1, { verbose: 0 }), 'args.weighting');
      const model = twoTaskModel();
      const notAnAggregator = { apply: (m: tf.Tensor) => m } as unknown as UPGrad;
      await expectInvalid(
        jdFit(model, data.x, [data.y1, data.y2], { aggregator: notAnAggregator }),
        'args.aggregator',
      );
      await expectInvalid(
        jdFit(model, data.x, [data.y1, data.y2], { weighting: new UPGradWeighting() }),
        'args.weighting',
      );
      await expectInvalid(
        jdFit(model, data.x, [data.y1, data.y2], { classWeight: { 0: 1 }, verbose: 0 }),
        'args.classWeight',
      );
      single.dispose();
      model.dispose();
    });
  });

  describe('instance-wise risk minimization (single output, weighting)', () => {
    const single = (seed: number) => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({
            units: 5,
            activation: 'relu',
            inputShape: [4],
            kernelInitializer: tf.initializers.glorotUniform({ seed }),
          }),
          tf.layers.dense({
            units: 1,
            kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
          }),
        ],
      });
      model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError', metrics: ['mae'] });
      return model;
    };

    it('with MeanWeighting it is model.fit (the weighted sum of the per-example losses is their mean)', async () => {
      const plain = single(2);
      const iwrm = single(2);
      const args = { epochs: 2, batchSize: 10, shuffle: false, verbose: 0 as const };
      const expected = await plain.fit(data.x, data.y1, args);
      const actual = await jdFit(iwrm, data.x, data.y1, {
        ...args,
        weighting: new MeanWeighting(),
      });
      for (const key of Object.keys(expected.history)) {
        expected.history[key].forEach((v, e) =>
          expect(actual.history[key][e]).toBeCloseTo(v as number, 5),
        );
      }
      expect(weightDistance(plain, iwrm)).toBeLessThan(1e-5);
      plain.dispose();
      iwrm.dispose();
    });

    it('with UPGradWeighting it lowers the loss, logs the cosine, and keeps memory flat', async () => {
      const model = single(4);
      const args = {
        epochs: 2,
        batchSize: 8,
        verbose: 0 as const,
        weighting: new UPGradWeighting(),
      };
      const first = await jdFit(model, data.x, data.y1, args);
      const before = tf.memory().numTensors;
      const history = await jdFit(model, data.x, data.y1, { ...args, epochs: 6 });
      expect(tf.memory().numTensors).toBe(before);
      const loss = history.history.loss as number[];
      expect(loss[5]).toBeLessThan((first.history.loss as number[])[0]);
      (history.history.cosine as number[]).forEach((c) => expect(c).toBeLessThanOrEqual(1 + 1e-6));
      model.dispose();
    });
  });
});
