/**
 * Issue 13's figures: one epoch of `jdFit` (UPGrad) against one epoch of `model.fit` on the same
 * functional model (784→256→256 ReLU trunk, two 10-way softmax heads) and data (512 examples,
 * batches of 64), as a ratio; and, on the same model and batches, the ratio of a bare
 * Jacobian-descent step (`mtlGrads` + UPGrad + applyGradients) to a bare plain step
 * (`tf.variableGrads` of the summed loss), which sets the target: jdFit's epoch ratio may exceed
 * it by 10% at most (what the fit machinery, logs and metrics may cost on top).
 */
import * as tf from '@tensorflow/tfjs';
import { UPGrad } from '../lib/aggregation/upgrad';
import { mtlGrads } from '../lib/autojac';
import { jdFit } from '../lib/training';
import { STEADY, timeInterleaved, type BenchOptions, type BenchRow } from './common';

const EXAMPLES = 512;
const BATCH = 64;

function twoHeadModel(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.heNormal({ seed });
  const input = tf.input({ shape: [784] });
  let h = input;
  for (const seed of [1, 2]) {
    h = tf.layers
      .dense({ units: 256, activation: 'relu', kernelInitializer: init(seed) })
      .apply(h) as tf.SymbolicTensor;
  }
  const heads = [3, 4].map(
    (seed) =>
      tf.layers
        .dense({ units: 10, activation: 'softmax', kernelInitializer: init(seed) })
        .apply(h) as tf.SymbolicTensor,
  );
  const model = tf.model({ inputs: input, outputs: heads });
  model.compile({
    optimizer: tf.train.sgd(1e-3),
    loss: ['categoricalCrossentropy', 'categoricalCrossentropy'],
  });
  return model;
}

/** Median wall time of each async function, run interleaved so that load hits each alike. */
async function timeAsyncInterleaved(
  fns: Record<string, () => Promise<unknown>>,
  { warmup, iters }: { warmup: number; iters: number },
): Promise<Record<string, number>> {
  const names = Object.keys(fns);
  for (let i = 0; i < warmup; i++) for (const name of names) await fns[name]();
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < iters; i++) {
    for (const name of names) {
      const start = performance.now();
      await fns[name]();
      times[name].push(performance.now() - start);
    }
  }
  return Object.fromEntries(
    names.map((n) => [n, times[n].sort((a, b) => a - b)[Math.floor(times[n].length / 2)]]),
  );
}

/** Times the epochs and the bare steps; see the file's header. */
export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const model = twoHeadModel();
  const x = tf.randomUniform([EXAMPLES, 784], 0, 1, 'float32', 0);
  const ys = [100, 101].map((seed) =>
    tf.tidy(() => tf.oneHot(tf.randomUniform([EXAMPLES], 0, 10, 'int32', seed), 10).toFloat()),
  );
  const args = { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 as const };
  const aggregator = new UPGrad();
  const epochs = await timeAsyncInterleaved(
    {
      fit: () => model.fit(x, ys, args),
      jdFit: () => jdFit(model, x, ys, { ...args, aggregator }),
    },
    options.quick ? { warmup: 1, iters: 3 } : { warmup: 1, iters: 7 },
  );

  // The bare steps on one batch of the same model, as bench/autojac.ts times them.
  const bx = x.slice(0, BATCH);
  const bys = ys.map((y) => y.slice(0, BATCH));
  const optimizer = tf.train.sgd(1e-3);
  const forward = () => {
    const outputs = model.apply(bx, { training: true }) as tf.Tensor[];
    return outputs.map((o, i) => tf.metrics.categoricalCrossentropy(bys[i], o).mean() as tf.Scalar);
  };
  const trunkOutput = tf.model({ inputs: model.inputs, outputs: model.layers[2].output });
  const headLayers = [model.layers[3], model.layers[4]];
  const steps = timeInterleaved(
    {
      plain: () => {
        const { value, grads } = tf.variableGrads(() => tf.addN(forward()) as tf.Scalar);
        optimizer.applyGradients(grads);
        value.dataSync();
        tf.dispose([value, grads]);
      },
      jacobianDescent: () => {
        const { losses, grads } = mtlGrads(
          () => {
            const features = trunkOutput.apply(bx, { training: true }) as tf.Tensor;
            const losses = headLayers.map(
              (head, i) =>
                tf.metrics
                  .categoricalCrossentropy(bys[i], head.apply(features) as tf.Tensor)
                  .mean() as tf.Scalar,
            );
            return { features, losses };
          },
          { aggregator },
        );
        optimizer.applyGradients(grads);
        losses[0].dataSync();
        tf.dispose([losses, grads]);
      },
    },
    options.quick ? { warmup: 2, iters: 5 } : STEADY,
  );
  tf.dispose([x, ys, bx, bys]);
  optimizer.dispose();
  model.optimizer.dispose(); // given to compile, so not the model's to dispose
  model.dispose();
  const stepRatio = steps.jacobianDescent / steps.plain;
  return [
    { figure: 'model.fit, 1 epoch (512 ex., batch 64, m=2)', value: epochs.fit, unit: 'ms' },
    { figure: 'jdFit + UPGrad, 1 epoch (same)', value: epochs.jdFit, unit: 'ms' },
    { figure: 'bare JD/plain step time (mtlGrads, same model)', value: stepRatio, unit: 'ratio' },
    {
      figure: 'jdFit/model.fit epoch time (target: step ratio + 10%)',
      value: epochs.jdFit / epochs.fit,
      unit: 'ratio',
      target: { max: Number((stepRatio * 1.1).toFixed(2)) },
    },
  ];
}
