/** jdFitDataset: model.fitDataset with Jacobian descent. */
import * as tf from '@tensorflow/tfjs';
import { Sum } from '../../lib/aggregation';
import { InvalidArgumentError } from '../../lib/errors';
import { jdFitDataset } from '../../lib/training';
import { twoTaskData, twoTaskModel, weightDistance } from './models';

describe('jdFitDataset', () => {
  let data: { x: tf.Tensor; y1: tf.Tensor; y2: tf.Tensor };
  beforeAll(() => (data = twoTaskData(40)));
  afterAll(() => tf.dispose([data.x, data.y1, data.y2]));

  const dataset = (batch: number) =>
    tf.data
      .zip({
        xs: tf.data.array(tf.unstack(data.x)),
        ys: tf.data.zip({
          out1: tf.data.array(tf.unstack(data.y1)),
          out2: tf.data.array(tf.unstack(data.y2)),
        }),
      })
      .batch(batch);

  it('with Sum reproduces model.fitDataset, validation on a dataset included', async () => {
    const plain = twoTaskModel({ metrics: true, optimizer: () => tf.train.adam(0.01) });
    const jd = twoTaskModel({ metrics: true, optimizer: () => tf.train.adam(0.01) });
    const args = { epochs: 3, verbose: 0 as const, validationData: dataset(16) };
    const expected = await plain.fitDataset(dataset(8), args);
    const actual = await jdFitDataset(jd, dataset(8), { ...args, aggregator: new Sum() });
    expect(weightDistance(plain, jd)).toBeLessThan(1e-5);
    for (const key of ['loss', 'out1_loss', 'out2_loss', 'out2_acc']) {
      expected.history[key].forEach((v, e) =>
        expect(actual.history[key][e]).toBeCloseTo(v as number, 5),
      );
    }
    // tfjs 4.22 logs running sums of the validation losses and shifts them by one key: its
    // val_loss is out1's loss, its val_out1_loss the total. jdFit's keys hold what they name.
    const h = actual.history as { [key: string]: number[] };
    const e = expected.history as { [key: string]: number[] };
    h.val_loss.forEach((v, i) => {
      expect(v).toBeCloseTo(e.val_out1_loss[i], 5);
      expect(h.val_out1_loss[i]).toBeCloseTo(e.val_loss[i], 5);
      expect(v).toBeCloseTo(h.val_out1_loss[i] + h.val_out2_loss[i], 5);
    });
    expect(jd.history).toBe(actual);
    plain.dispose();
    jd.dispose();
  });

  it('batchesPerEpoch goes on with the same iterator; the dataset running out ends training', async () => {
    const model = twoTaskModel();
    const sizes: number[] = [];
    const history = await jdFitDataset(model, dataset(16), {
      epochs: 5,
      batchesPerEpoch: 2,
      verbose: 0,
      callbacks: { onBatchEnd: (_b, logs) => void sizes.push(logs!.size) },
    });
    // 40 examples in batches of 16: 16, 16 | 8, then the iterator is done.
    expect(sizes).toEqual([16, 16, 8]);
    expect(history.epoch).toEqual([0, 1]);
    model.dispose();
  });

  it('keeps tf.memory().numTensors flat, disposing each batch', async () => {
    const model = twoTaskModel();
    const source = dataset(10);
    await jdFitDataset(model, source, { epochs: 1, verbose: 0 });
    const before = tf.memory().numTensors;
    await jdFitDataset(model, source, {
      epochs: 4,
      verbose: 0,
      validationData: [data.x, [data.y1, data.y2]],
    });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('rejects bad arguments with an InvalidArgumentError naming them', async () => {
    const model = twoTaskModel();
    const invalid = async (promise: Promise<unknown>) =>
      promise.then(
        () => '',
        (e: unknown) => (e instanceof InvalidArgumentError ? e.argument : String(e)),
      );
    expect(await invalid(jdFitDataset(model, dataset(8), { epochs: 0, verbose: 0 }))).toBe(
      'args.epochs',
    );
    const flat = tf.data.array([{ xs: tf.ones([2, 4]), ys: tf.ones([2, 1]) }]);
    expect(await invalid(jdFitDataset(model, flat, { epochs: 1, verbose: 0 }))).toBe(
      'dataset (ys)',
    );
    expect(
      await invalid(
        jdFitDataset(model, [] as unknown as tf.data.Dataset<tf.TensorContainer>, { epochs: 1 }),
      ),
    ).toBe('dataset');
    model.dispose();
  });
});
