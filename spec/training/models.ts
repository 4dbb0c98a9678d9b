/** Small seeded multi-output models and data for the training specs. */
import * as tf from '@tensorflow/tfjs';

const init = (seed: number) => tf.initializers.glorotUniform({ seed });

export interface TwoTaskOptions {
  seed?: number;
  optimizer?: () => tf.Optimizer;
  regularize?: boolean;
  metrics?: boolean;
  compile?: boolean;
}

/** input[4] → dense 6 tanh (trunk) → out1 (1, mse) and out2 (3, softmax, cross-entropy). */
export function twoTaskModel(options: TwoTaskOptions = {}): tf.LayersModel {
  const seed = options.seed ?? 1;
  const input = tf.input({ shape: [4] });
  const trunk = tf.layers
    .dense({
      units: 6,
      activation: 'tanh',
      name: 'trunk',
      kernelInitializer: init(seed),
      kernelRegularizer: options.regularize ? tf.regularizers.l2({ l2: 0.01 }) : undefined,
    })
    .apply(input) as tf.SymbolicTensor;
  const out1 = tf.layers
    .dense({ units: 1, name: 'out1', kernelInitializer: init(seed + 1) })
    .apply(trunk) as tf.SymbolicTensor;
  const out2 = tf.layers
    .dense({ units: 3, activation: 'softmax', name: 'out2', kernelInitializer: init(seed + 2) })
    .apply(trunk) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [out1, out2] });
  if (options.compile !== false) {
    model.compile({
      optimizer: options.optimizer?.() ?? tf.train.sgd(0.1),
      loss: ['meanSquaredError', 'categoricalCrossentropy'],
      metrics: options.metrics ? { out2: 'accuracy' } : undefined,
    });
  }
  return model;
}

/** `n` examples for {@link twoTaskModel}: x [n, 4], y1 [n, 1], y2 one-hot [n, 3]. */
export function twoTaskData(n: number, seed = 10): { x: tf.Tensor; y1: tf.Tensor; y2: tf.Tensor } {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, 4], 0, 1, 'float32', seed);
    const y1 = tf.sum(x, 1, true);
    const y2 = tf.oneHot(tf.argMax(x.slice([0, 0], [n, 3]), 1), 3).toFloat();
    return { x, y1, y2 };
  });
}

/** The largest absolute difference between the two models' weights. */
export function weightDistance(a: tf.LayersModel, b: tf.LayersModel): number {
  return tf.tidy(() =>
    Math.max(
      ...a.getWeights().map((w, i) => tf.max(tf.abs(tf.sub(w, b.getWeights()[i]))).dataSync()[0]),
    ),
  );
}

/** Records the logs of every batch (as numbers). */
export function batchRecorder(): {
  logs: Array<{ [key: string]: number }>;
  callback: tf.CustomCallbackArgs;
} {
  const logs: Array<{ [key: string]: number }> = [];
  return {
    logs,
    callback: { onBatchEnd: (_b, l) => void logs.push({ ...(l as { [key: string]: number }) }) },
  };
}
