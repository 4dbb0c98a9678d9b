/**
 * `jdFit`: `model.fit` for a multi-output LayersModel, with Jacobian descent on the shared part.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { standardizeCallbacks } from './callbacks';
import { checkRows, makeBatches, standardizeData, type TensorData } from './data';
import { evaluateTensors } from './evaluate';
import { runFitLoop, type Batch } from './fit_loop';
import type { JdFitArgs } from './options';
import { prepareTrainer, whileTraining } from './trainer';

const UNSUPPORTED = ['sampleWeight', 'classWeight', 'validationSteps'] as const;

function positiveInteger(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(argument, `expected a positive integer, got ${String(value)}.`);
  }
  return value;
}

/**
 * Trains `model` as `model.fit(x, y, args)` does — same arguments, callbacks, validation, metrics,
 * progress line and `tf.History` — but each step is Jacobian descent: the compiled loss of each
 * output is one objective, the heads get their own loss's gradient, and the shared part (the
 * layers whose weights reach more than one output, found from the graph) gets the aggregator's
 * combination of the objectives' gradients (`args.aggregator`, default `new UPGrad()`). The
 * compiled optimizer applies the update. The logs passed to `onBatchEnd` / `onEpochEnd` (and the
 * history) also hold the aggregator's weight of each output (`<output>_weight`) and `cosine`, the
 * cosine between the shared update and the mean of the outputs' gradients (1 means plain
 * gradient descent on the mean loss). With `new Sum()` a step is exactly `model.fit`'s.
 *
 * A single-output model is trained with instance-wise risk minimization when `args.weighting` is
 * given: each example's loss is an objective, weighted from the Gramian of the per-example losses.
 *
 * Not supported: `sampleWeight` and `classWeight` (the per-example weights would change the
 * objectives; an `InvalidArgumentError` says so), `validationSteps` (tfjs ignores it for tensors).
 *
 * @example
 * ```ts
 * model.compile({ optimizer: 'adam', loss: ['categoricalCrossentropy', 'meanSquaredError'] });
 * // was: await model.fit(x, [y1, y2], { epochs: 5, batchSize: 64 });
 * const history = await jdFit(model, x, [y1, y2], { epochs: 5, batchSize: 64 });
 * history.history.loss; // one value per epoch, as model.fit's
 * ```
 */
export async function jdFit(
  model: tf.LayersModel,
  x: TensorData,
  y: TensorData,
  args: JdFitArgs = {},
): Promise<tf.History> {
  const trainer = prepareTrainer(model, args);
  try {
    return await whileTraining(model, () => fitTensors(model, x, y, args, trainer));
  } finally {
    trainer.release();
  }
}

async function fitTensors(
  model: tf.LayersModel,
  x: TensorData,
  y: TensorData,
  args: JdFitArgs,
  trainer: ReturnType<typeof prepareTrainer>,
): Promise<tf.History> {
  for (const key of UNSUPPORTED) {
    if (args[key] != null) {
      throw new InvalidArgumentError(`args.${key}`, 'is not supported by jdFit.');
    }
  }
  const batchSize = args.batchSize == null ? 32 : positiveInteger(args.batchSize, 'args.batchSize');
  const epochs = args.epochs == null ? 1 : positiveInteger(args.epochs, 'args.epochs');
  const initialEpoch = args.initialEpoch ?? 0;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) {
    throw new InvalidArgumentError(
      'args.initialEpoch',
      `expected an integer ≥ 0, got ${String(initialEpoch)}.`,
    );
  }
  const stepsPerEpoch =
    args.stepsPerEpoch == null
      ? undefined
      : positiveInteger(args.stepsPerEpoch, 'args.stepsPerEpoch');
  const shuffle = args.shuffle ?? true;
  const xs = standardizeData(x, model.inputNames, 'x', 'input');
  const ys = standardizeData(y, model.outputNames, 'y', 'output');
  const rows = checkRows(xs, ys, 'x', 'y');

  const owned: tf.Tensor[] = [];
  try {
    let trainXs = xs;
    let trainYs = ys;
    let valXs: tf.Tensor[] | undefined;
    let valYs: tf.Tensor[] | undefined;
    if (args.validationData != null) {
      const data = args.validationData as unknown[];
      if (!Array.isArray(data) || data.length !== 2) {
        throw new InvalidArgumentError(
          'args.validationData',
          'expected [valX, valY] (validation sample weights are not supported, as in tfjs).',
        );
      }
      valXs = standardizeData(data[0], model.inputNames, 'args.validationData[0]', 'input');
      valYs = standardizeData(data[1], model.outputNames, 'args.validationData[1]', 'output');
      checkRows(valXs, valYs, 'args.validationData[0]', 'args.validationData[1]');
    } else if (
      args.validationSplit != null &&
      args.validationSplit > 0 &&
      args.validationSplit < 1
    ) {
      const splitAt = Math.floor(rows * (1 - args.validationSplit));
      const part = (list: tf.Tensor[], start: number, end: number) =>
        list.map((t) => {
          const s = t.slice(start, end - start);
          owned.push(s);
          return s;
        });
      valXs = part(xs, splitAt, rows);
      valYs = part(ys, splitAt, rows);
      trainXs = part(xs, 0, splitAt);
      trainYs = part(ys, 0, splitAt);
    }
    const samples = trainXs[0].shape[0];
    if (samples === 0) throw new InvalidArgumentError('x', 'has no training examples.');
    const doValidation = valXs !== undefined;
    const keys = trainer.trainKeys;
    const callbackMetrics = doValidation
      ? [...keys, ...trainer.compiled.logKeys.map((k) => `val_${k}`)]
      : keys;

    const order = Array.from({ length: samples }, (_, i) => i);
    const batches = makeBatches(samples, batchSize);
    let cursor = batches.length; // position in the current pass, for stepsPerEpoch
    const batchAt = (index: number): Batch => {
      const [start, end] = batches[index];
      const ids = tf.tensor1d(order.slice(start, end), 'int32');
      const bx = trainXs.map((t) => tf.gather(t, ids));
      const by = trainYs.map((t) => tf.gather(t, ids));
      ids.dispose();
      return { xs: bx, ys: by, dispose: () => tf.dispose([bx, by]) };
    };
    const newPass = () => {
      if (shuffle) tf.util.shuffle(order);
      cursor = 0;
    };
    function* epochBatches(): Generator<Batch> {
      if (stepsPerEpoch === undefined) {
        newPass();
        for (let i = 0; i < batches.length; i++) yield batchAt(i);
        return;
      }
      // A fixed number of steps per epoch, continuing through the data (reshuffled each pass).
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (cursor >= batches.length) newPass();
        yield batchAt(cursor++);
      }
    }
    const callbacks = standardizeCallbacks(args.callbacks, args.yieldEvery);
    return await runFitLoop({
      model,
      step: trainer.step,
      callbacks,
      params: {
        epochs,
        initialEpoch,
        samples: stepsPerEpoch === undefined ? samples : null,
        steps: stepsPerEpoch ?? null,
        batchSize,
        verbose: args.verbose ?? 1,
        doValidation,
        metrics: callbackMetrics,
      },
      epochBatches,
      validate: doValidation
        ? () =>
            evaluateTensors(model, trainer.compiled, trainer.lossWeights, valXs!, valYs!, batchSize)
        : undefined,
    });
  } finally {
    tf.dispose(owned);
  }
}
