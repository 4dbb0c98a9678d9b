/**
 * The epoch and batch loop shared by `jdFit` and `jdFitDataset`, with `model.fit`'s callback
 * protocol: train begin, per epoch begin / batches (begin, step, end) / validation / end, train
 * end; `model.history` set, `model.stopTraining` honoured after each batch and epoch.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  configureCallbacks,
  type CallbackObject,
  type FitParams,
  type NumericLogs,
} from './callbacks';
import type { TrainStep } from './jd_step';

/** One batch; `dispose` frees what the loop made for it. */
export interface Batch {
  xs: tf.Tensor[];
  ys: tf.Tensor[];
  dispose(): void;
}

/** What the loop needs. */
export interface FitLoopSpec {
  model: tf.LayersModel;
  step: TrainStep;
  callbacks: CallbackObject[];
  params: FitParams;
  /** The batches of an epoch. */
  epochBatches(epoch: number): AsyncIterable<Batch> | Iterable<Batch>;
  /** The `val_` logs at the end of an epoch run to completion, when validating. */
  validate?: () => Promise<NumericLogs> | NumericLogs;
}

/** Runs the epochs and returns the `tf.History` (also set as `model.history`). */
export async function runFitLoop(spec: FitLoopSpec): Promise<tf.History> {
  const { model, step, params } = spec;
  const { callbackList, history } = configureCallbacks(spec.callbacks, params);
  callbackList.setModel(model);
  model.history = history;
  await callbackList.onTrainBegin();
  model.stopTraining = false;
  for (let epoch = params.initialEpoch; epoch < params.epochs; epoch++) {
    await callbackList.onEpochBegin(epoch);
    const epochLogs: NumericLogs = {};
    let index = 0;
    let stopped = false;
    for await (const batch of spec.epochBatches(epoch)) {
      const batchLogs: NumericLogs = { batch: index, size: batch.xs[0].shape[0] };
      try {
        await callbackList.onBatchBegin(index, batchLogs);
        Object.assign(batchLogs, step(batch.xs, batch.ys));
      } finally {
        batch.dispose();
      }
      await callbackList.onBatchEnd(index, batchLogs);
      index++;
      if (model.stopTraining) {
        stopped = true;
        break;
      }
    }
    if (!stopped && spec.validate !== undefined) Object.assign(epochLogs, await spec.validate());
    await callbackList.onEpochEnd(epoch, epochLogs);
    if (model.stopTraining) break;
  }
  await callbackList.onTrainEnd();
  await history.syncData();
  return history;
}
