/**
 * Instance-Wise Risk Minimization with the autogram engine: one IWRM step (record, Gramian of the
 * per-instance losses, UPGradWeighting, weighted backward, applyGradients) against one plain step
 * (tf.variableGrads of the mean loss, applyGradients), on an MLP 784→256→256→10 built from
 * tf.layers, at batch 64 and 256.
 */
import * as tf from '@tensorflow/tfjs';
import { UPGradWeighting } from '../lib/aggregation/upgrad';
import { backward, gradsMap, record, zeroGrad } from '../lib/autograd';
import { Engine } from '../lib/autogram';
import { STEADY, timeInterleaved, type BenchOptions, type BenchRow } from './common';

function mlp(): tf.Sequential {
  const init = (seed: number) => tf.initializers.heNormal({ seed });
  return tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [784],
        units: 256,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 10, kernelInitializer: init(3) }),
    ],
  });
}

/** Per-instance softmax cross-entropy, shape [b]. */
function crossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1));
}

/**
 * The steps the IWRM figures compare at batch `batch`: one IWRM step (record, Gramian of the
 * per-instance losses, UPGradWeighting, weighted backward, applyGradients), one plain step
 * (tf.variableGrads of the mean loss), and the Gramian alone. Also run side by side with TorchJD
 * (bench/torchjd.ts).
 */
export function iwrmSteps(batch: number): {
  plain: () => void;
  iwrm: () => void;
  gramianOnly: () => void;
  dispose: () => void;
} {
  const model = mlp();
  const x = tf.randomUniform([batch, 784], 0, 1, 'float32', 7);
  const labels = tf.tidy(() =>
    tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 8) as tf.Tensor1D, 10),
  );
  const engine = new Engine(model);
  const variables = engine.weights();
  const weighting = new UPGradWeighting();
  const optimizer = tf.train.sgd(1e-3);
  const plain = () => {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(crossEntropy(model.apply(x) as tf.Tensor, labels)) as tf.Scalar,
      variables,
    );
    optimizer.applyGradients(grads);
    variables[0].dataSync();
    tf.dispose([value, grads]);
  };
  const iwrm = () => {
    const losses = record(() => crossEntropy(model.apply(x) as tf.Tensor, labels));
    const gramian = engine.computeGramian(losses);
    const weights = weighting.apply(gramian);
    backward(losses, { gradient: weights });
    optimizer.applyGradients(gradsMap(variables));
    zeroGrad(variables);
    variables[0].dataSync();
    tf.dispose([losses, gramian, weights]);
  };
  const gramianOnly = () => {
    const losses = record(() => crossEntropy(model.apply(x) as tf.Tensor, labels));
    const gramian = engine.computeGramian(losses);
    gramian.dataSync();
    backward(losses, { gradient: tf.zerosLike(losses) });
    zeroGrad(variables);
    tf.dispose([losses, gramian]);
  };
  return {
    plain,
    iwrm,
    gramianOnly,
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      tf.dispose([x, labels]);
    },
  };
}

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [batch, target] of [
    [64, 2],
    [256, undefined],
  ] as const) {
    const { plain, iwrm, gramianOnly, dispose } = iwrmSteps(batch);
    const times = timeInterleaved(
      { plain, iwrm, gramianOnly },
      options.quick ? { warmup: 2, iters: 4 } : STEADY,
    );
    rows.push(
      { figure: `plain step (variableGrads of mean), b=${batch}`, value: times.plain, unit: 'ms' },
      {
        figure: `IWRM step (autogram + UPGradWeighting), b=${batch}`,
        value: times.iwrm,
        unit: 'ms',
        ...(batch === 256 ? { target: { max: 150 } } : {}),
      },
      {
        figure: `record + computeGramian + unweighted backward, b=${batch}`,
        value: times.gramianOnly,
        unit: 'ms',
      },
      {
        figure: `IWRM/plain step time, b=${batch}`,
        value: times.iwrm / times.plain,
        unit: 'ratio',
        ...(target === undefined ? {} : { target: { max: target } }),
      },
    );
    dispose();
  }
  return rows;
}
