/**
 * `jdFitDataset`: `model.fitDataset` with Jacobian descent, batches coming from a `tf.data`
 * dataset of `{ xs, ys }` elements.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { standardizeCallbacks } from './callbacks';
import { checkRows, standardizeData } from './data';
import { evaluateTensors, ValidationAccumulator } from './evaluate';
import { runFitLoop, type Batch } from './fit_loop';
import type { JdFitDatasetArgs } from './options';
import { prepareTrainer, whileTraining, type Trainer } from './trainer';

/** What jdFitDataset needs of a dataset: `tf.data.Dataset` has it. */
/** What `jdFitDataset` takes: a `tf.data.Dataset` or anything with its `iterator()`. */
export interface DatasetLike<T> {
  iterator(): Promise<{ next(): Promise<IteratorResult<T>> }>;
  size?: number | null;
}

function isDataset(value: unknown): value is DatasetLike<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as DatasetLike<unknown>).iterator === 'function'
  );
}

/** `{ xs, ys }` (or `[xs, ys]`) of a dataset element, in the model's order. */
function elementData(
  model: tf.LayersModel,
  value: unknown,
  argument: string,
): { xs: tf.Tensor[]; ys: tf.Tensor[] } {
  let x: unknown;
  let y: unknown;
  if (Array.isArray(value) && value.length === 2) {
    [x, y] = value;
  } else if (value !== null && typeof value === 'object' && 'xs' in value && 'ys' in value) {
    ({ xs: x, ys: y } = value as { xs: unknown; ys: unknown });
  } else {
    throw new InvalidArgumentError(argument, 'its elements must be { xs, ys } (or [xs, ys]).');
  }
  const xs = standardizeData(x, model.inputNames, `${argument} (xs)`, 'input');
  const ys = standardizeData(y, model.outputNames, `${argument} (ys)`, 'output');
  checkRows(xs, ys, `${argument} (xs)`, `${argument} (ys)`);
  return { xs, ys };
}

/**
 * Trains `model` on `dataset` as `model.fitDataset(dataset, args)` does (epochs, batchesPerEpoch,
 * validationData as a dataset or `[x, y]`, validationBatches, validationBatchSize, initialEpoch,
 * callbacks, verbose, yieldEvery), with each step Jacobian descent as in {@link jdFit}. The
 * elements' tensors are disposed after their step, as fitDataset does. `classWeight` is not
 * supported.
 *
 * @example
 * ```ts
 * const dataset = tf.data.zip({ xs: tf.data.array(images), ys: tf.data.zip([left, right]) }).batch(64);
 * const history = await jdFitDataset(model, dataset, { epochs: 3, aggregator: new UPGrad() });
 * ```
 */
export async function jdFitDataset<T>(
  model: tf.LayersModel,
  dataset: DatasetLike<T>,
  args: JdFitDatasetArgs<T>,
): Promise<tf.History> {
  if (args === null || typeof args !== 'object') {
    throw new InvalidArgumentError('args', 'is required (at least { epochs }), as for fitDataset.');
  }
  const trainer = prepareTrainer(model, args);
  try {
    return await whileTraining(model, () => fitDataset(model, dataset, args, trainer));
  } finally {
    trainer.release();
  }
}

async function fitDataset<T>(
  model: tf.LayersModel,
  dataset: DatasetLike<T>,
  args: JdFitDatasetArgs<T>,
  trainer: Trainer,
): Promise<tf.History> {
  if (!isDataset(dataset)) throw new InvalidArgumentError('dataset', 'expected a tf.data.Dataset.');
  if (!Number.isInteger(args.epochs) || args.epochs <= 0) {
    throw new InvalidArgumentError(
      'args.epochs',
      `expected a positive integer, got ${String(args.epochs)}.`,
    );
  }
  const batchesPerEpoch = args.batchesPerEpoch;
  if (batchesPerEpoch != null && (!Number.isInteger(batchesPerEpoch) || batchesPerEpoch <= 0)) {
    throw new InvalidArgumentError(
      'args.batchesPerEpoch',
      `expected a positive integer, got ${String(batchesPerEpoch)}.`,
    );
  }
  if (args.classWeight != null) {
    throw new InvalidArgumentError('args.classWeight', 'is not supported by jdFitDataset.');
  }
  if ((args as { validationSplit?: unknown }).validationSplit != null) {
    throw new InvalidArgumentError(
      'args.validationSplit',
      'is not supported by fitDataset; use validationData.',
    );
  }
  const validationData = args.validationData;
  let validate: (() => Promise<{ [key: string]: number }>) | undefined;
  if (validationData != null) {
    if (isDataset(validationData)) {
      const limit = args.validationBatches;
      validate = async () => {
        const accumulator = new ValidationAccumulator(model, trainer.compiled, trainer.lossWeights);
        const iterator = await validationData.iterator();
        for (let b = 0; limit == null || b < limit; b++) {
          const next = await iterator.next();
          if (next.done) break;
          const { xs, ys } = elementData(model, next.value, 'args.validationData');
          try {
            accumulator.add(xs, ys);
          } finally {
            tf.dispose([xs, ys]);
          }
        }
        return accumulator.logs();
      };
    } else {
      const data = validationData as unknown[];
      if (!Array.isArray(data) || data.length !== 2) {
        throw new InvalidArgumentError(
          'args.validationData',
          'expected a dataset or [valX, valY].',
        );
      }
      const valXs = standardizeData(data[0], model.inputNames, 'args.validationData[0]', 'input');
      const valYs = standardizeData(data[1], model.outputNames, 'args.validationData[1]', 'output');
      checkRows(valXs, valYs, 'args.validationData[0]', 'args.validationData[1]');
      const size = args.validationBatchSize ?? 32;
      validate = async () =>
        evaluateTensors(model, trainer.compiled, trainer.lossWeights, valXs, valYs, size);
    }
  }
  const doValidation = validate !== undefined;
  const keys = trainer.trainKeys;
  const iterator = batchesPerEpoch != null ? await dataset.iterator() : undefined;
  async function* epochBatches(): AsyncGenerator<Batch> {
    // Without batchesPerEpoch an epoch is one pass over a fresh iterator; with it, the iterator
    // goes on from epoch to epoch, as in fitDataset.
    const it = batchesPerEpoch != null ? iterator! : await dataset.iterator();
    for (let b = 0; batchesPerEpoch == null || b < batchesPerEpoch; b++) {
      const next = await it.next();
      if (next.done) {
        // The dataset ran out before batchesPerEpoch × epochs batches: training ends after this
        // epoch (fitDataset warns and goes on with empty epochs).
        if (batchesPerEpoch != null) model.stopTraining = true;
        return;
      }
      let element: { xs: tf.Tensor[]; ys: tf.Tensor[] };
      try {
        element = elementData(model, next.value, 'dataset');
      } catch (error) {
        tf.dispose(next.value as tf.TensorContainer);
        throw error;
      }
      const { xs, ys } = element;
      yield { xs, ys, dispose: () => tf.dispose([xs, ys]) };
    }
  }
  const steps =
    batchesPerEpoch ?? (Number.isFinite(dataset.size) ? (dataset.size as number) : null);
  return runFitLoop({
    model,
    step: trainer.step,
    callbacks: standardizeCallbacks(args.callbacks, args.yieldEvery),
    params: {
      epochs: args.epochs,
      initialEpoch: args.initialEpoch ?? 0,
      samples: null,
      steps,
      batchSize: null,
      verbose: args.verbose ?? 1,
      doValidation,
      metrics: doValidation ? [...keys, ...trainer.compiled.logKeys.map((k) => `val_${k}`)] : keys,
    },
    epochBatches,
    validate,
  });
}
