/**
 * The callback machinery of `jdFit`, built on tfjs's public classes (`tf.CallbackList`,
 * `tf.History`, `tf.CustomCallback`), so that every callback `model.fit` accepts works unchanged:
 * callback objects (`tf.callbacks.earlyStopping`, `tf.Callback` subclasses), `CustomCallbackArgs`
 * (plain objects of functions, tfjs-vis's `fitCallbacks`), with `yieldEvery`. tfjs keeps
 * `standardizeCallbacks`, `configureCallbacks` and `BaseLogger` internal, so their minimal
 * equivalents are here: callback objects are told apart from argument objects by their methods
 * (no `instanceof`, which fails across two tfjs copies), and {@link epochAverager} does
 * BaseLogger's work (epoch logs = batch logs averaged, weighted by batch size).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { progressLogger } from './progress_logger';

/** A tfjs callback object, as `tf.CallbackList` takes it. */
export type CallbackObject = NonNullable<ConstructorParameters<typeof tf.CallbackList>[0]>[number];

/** What fit's `callbacks` argument may be. */
export type CallbacksArg = tf.ModelFitArgs['callbacks'];

/** The logs callbacks receive: numbers by key. */
export type NumericLogs = { [key: string]: number };

function isCallbackObject(value: unknown): value is CallbackObject {
  const c = value as Partial<Record<'setParams' | 'setModel' | 'onBatchEnd', unknown>>;
  return (
    typeof c.setParams === 'function' &&
    typeof c.setModel === 'function' &&
    typeof c.onBatchEnd === 'function'
  );
}

/** tfjs's `standardizeCallbacks`, per element: objects kept, argument objects wrapped. */
export function standardizeCallbacks(
  callbacks: CallbacksArg,
  yieldEvery: tf.ModelFitArgs['yieldEvery'],
): CallbackObject[] {
  if (callbacks == null) return [];
  const list: unknown[] = Array.isArray(callbacks) ? callbacks : [callbacks];
  return list.map((item, i) => {
    if (isCallbackObject(item)) return item;
    if (item === null || typeof item !== 'object') {
      throw new InvalidArgumentError(
        'args.callbacks',
        `element ${i} is neither a tfjs callback nor an object of callback functions.`,
      );
    }
    return new tf.CustomCallback(item as tf.CustomCallbackArgs, yieldEvery);
  });
}

/** The parameters tfjs gives every callback through `setParams`. */
export interface FitParams {
  epochs: number;
  initialEpoch: number;
  samples: number | null;
  steps: number | null;
  batchSize: number | null;
  verbose: number;
  doValidation: boolean;
  /** The keys averaged into the epoch logs (and shown by the progress line). */
  metrics: string[];
}

/**
 * BaseLogger's work: at the end of each epoch, every key of `params.metrics` the batches logged is
 * set to its mean over the epoch's examples.
 */
export function epochAverager(): CallbackObject {
  let seen = 0;
  let totals = new Map<string, number>();
  const callback: tf.CustomCallback = new tf.CustomCallback(
    {
      onEpochBegin: () => {
        seen = 0;
        totals = new Map();
      },
      onBatchEnd: (_batch, logs) => {
        const size = typeof logs?.size === 'number' ? logs.size : 0;
        seen += size;
        for (const [key, value] of Object.entries(logs ?? {})) {
          if (typeof value === 'number') totals.set(key, (totals.get(key) ?? 0) + value * size);
        }
      },
      onEpochEnd: (_epoch, logs) => {
        if (logs === undefined) return;
        const keys = (callback.params?.metrics ?? []) as string[];
        for (const key of keys) {
          const total = totals.get(key);
          if (total !== undefined) logs[key] = total / seen;
        }
      },
    },
    'never',
  );
  return callback;
}

/**
 * tfjs's `configureCallbacks`: the averager, the progress line when `verbose` is 1 (what tfjs-node
 * registers), the user's callbacks, then a fresh `tf.History`, in one `tf.CallbackList`.
 */
export function configureCallbacks(
  callbacks: CallbackObject[],
  params: FitParams,
): { callbackList: tf.CallbackList; history: tf.History } {
  const history = new tf.History();
  const all: CallbackObject[] = [epochAverager()];
  if (params.verbose >= 1) {
    const logger = progressLogger();
    if (logger !== null) all.push(logger);
  }
  all.push(...callbacks, history);
  const callbackList = new tf.CallbackList(all);
  // tfjs leaves unknown sizes null; its Params type has no null, so they are left out instead.
  const given: tf.CustomCallback['params'] = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== null) given[key] = value as number | boolean | string[];
  }
  callbackList.setParams(given);
  return { callbackList, history };
}
