/**
 * Trains the MultiMNIST network with one method and records, per epoch, the mean training loss and
 * the test accuracy of each task.
 */
import * as tf from '@tensorflow/tfjs';
import { ProgressBar } from '../common/progress';
import { disposeBatch, makeBatch, MultiMnist, PairSet, seededRandom } from './data';
import {
  countCorrect,
  createModel,
  disposeModel,
  forward,
  ModelOptions,
  modelVariables,
} from './model';
import { createMethod } from './methods';

/** Hyper-parameters of one training run. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Network sizes (filters, feature width); the defaults of {@link createModel} otherwise. */
  model?: Pick<ModelOptions, 'filters' | 'featureUnits'>;
  /** Show a progress bar on stderr. Default true. */
  progress?: boolean;
}

/** What one epoch achieved (epoch 0 is the untrained network: no training loss). */
export interface EpochResult {
  epoch: number;
  /** Mean over the epoch's batches of each task's loss, before each step. */
  trainLoss: [number, number];
  /** Fraction of test pairs whose left / right digit is classified correctly. */
  testAccuracy: [number, number];
  /** Seconds spent training in this epoch (evaluation excluded). */
  seconds: number;
}

/** The record of one method's run. */
export interface RunResult {
  method: string;
  label: string;
  epochs: EpochResult[];
  /** Total training seconds. */
  seconds: number;
}

/** Selects pairs by index, with their labels. */
function subset(set: PairSet, indices: number[]): PairSet {
  return {
    pairs: indices.map((i) => set.pairs[i]),
    leftLabels: Int32Array.from(indices, (i) => set.leftLabels[i]),
    rightLabels: Int32Array.from(indices, (i) => set.rightLabels[i]),
  };
}

/** Per-task accuracy of the model on the test pairs, evaluated in chunks to bound memory. */
export function testAccuracy(
  model: ReturnType<typeof createModel>,
  data: MultiMnist,
  chunk = 500,
): [number, number] {
  const correct = [0, 0];
  const total = data.test.pairs.length;
  for (let start = 0; start < total; start += chunk) {
    const batch = makeBatch(
      data.digits,
      data.test,
      data.layout.canvasSize,
      start,
      Math.min(start + chunk, total),
    );
    const [left, right] = countCorrect(model, batch);
    correct[0] += left;
    correct[1] += right;
    disposeBatch(batch);
  }
  return [correct[0] / total, correct[1] / total];
}

/**
 * Trains a fresh network (seeded) on `data.train` with the method named `methodName` and Adam,
 * evaluating on `data.test` before training and after every epoch. `onEpoch` sees each result as
 * it comes. Leaves no tensor behind.
 */
export function trainMethod(
  methodName: string,
  data: MultiMnist,
  options: TrainOptions,
  onEpoch: (result: EpochResult, label: string) => void = () => {},
): RunResult {
  const { epochs, batchSize, learningRate, seed, progress = true } = options;
  const method = createMethod(methodName, seed);
  const model = createModel({ ...options.model, canvasSize: data.layout.canvasSize, seed });
  const variables = modelVariables(model);
  const optimizer = tf.train.adam(learningRate);
  const random = seededRandom(seed + 3);
  const trainCount = data.train.pairs.length;
  const steps = Math.floor(trainCount / batchSize);
  const results: EpochResult[] = [];
  try {
    const initial: EpochResult = {
      epoch: 0,
      trainLoss: [NaN, NaN],
      testAccuracy: testAccuracy(model, data),
      seconds: 0,
    };
    results.push(initial);
    onEpoch(initial, method.label);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const order = Array.from({ length: trainCount }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const bar = progress
        ? new ProgressBar(steps, `${method.label} epoch ${epoch}/${epochs}`)
        : null;
      const lossSums = [0, 0];
      const started = performance.now();
      for (let step = 0; step < steps; step++) {
        const pairs = subset(data.train, order.slice(step * batchSize, (step + 1) * batchSize));
        const batch = makeBatch(data.digits, pairs, data.layout.canvasSize);
        try {
          const losses = method.step(() => forward(model, batch), variables, optimizer);
          lossSums[0] += losses[0];
          lossSums[1] += losses[1];
          bar?.tick(`loss ${losses[0].toFixed(3)} / ${losses[1].toFixed(3)}`);
        } finally {
          disposeBatch(batch);
        }
      }
      method.endEpoch();
      const seconds = (performance.now() - started) / 1000;
      bar?.done();
      const result: EpochResult = {
        epoch,
        trainLoss: [lossSums[0] / steps, lossSums[1] / steps],
        testAccuracy: testAccuracy(model, data),
        seconds,
      };
      results.push(result);
      onEpoch(result, method.label);
    }
  } finally {
    optimizer.dispose();
    method.dispose();
    disposeModel(model);
  }
  return {
    method: methodName,
    label: method.label,
    epochs: results,
    seconds: results.reduce((sum, r) => sum + r.seconds, 0),
  };
}
