/**
 * Issue 4's figures: one Jacobian-descent training step (mtlGrads + UPGrad + applyGradients)
 * against one plain step (tf.variableGrads of the summed loss + applyGradients), same model.
 */
import * as tf from '@tensorflow/tfjs';
import { UPGrad } from '../lib/aggregation/upgrad';
import { mtlGrads } from '../lib/autojac';
import { timeInterleaved, type BenchOptions, type BenchRow } from './common';
import { multiHeadMlp } from './mlp';

export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [m, target] of [
    [2, 2.0],
    [8, 5.0],
  ] as const) {
    const model = multiHeadMlp(m);
    const optimizer = tf.train.sgd(1e-3);
    const aggregator = new UPGrad();
    const heads = Array.from({ length: m }, (_, i) => i);
    const plain = () => {
      const { value, grads } = tf.variableGrads(() => {
        const features = model.features();
        return tf.addN(heads.map((i) => model.lossOfHead(features, i))) as tf.Scalar;
      });
      optimizer.applyGradients(grads);
      model.trunk[0].dataSync();
      tf.dispose([value, grads]);
    };
    const jacobianDescent = () => {
      const { losses, grads } = mtlGrads(
        () => {
          const features = model.features();
          return { features, losses: heads.map((i) => model.lossOfHead(features, i)) };
        },
        { aggregator },
      );
      optimizer.applyGradients(grads);
      model.trunk[0].dataSync();
      tf.dispose([losses, grads]);
    };
    const times = timeInterleaved(
      { plain, jacobianDescent },
      options.quick ? { warmup: 2, iters: 4 } : { warmup: 3, iters: 15 },
    );
    const profile = await tf.profile(jacobianDescent);
    const plainProfile = await tf.profile(plain);
    rows.push(
      { figure: `plain step (variableGrads), m=${m}`, value: times.plain, unit: 'ms' },
      { figure: `JD step (mtlGrads + UPGrad), m=${m}`, value: times.jacobianDescent, unit: 'ms' },
      {
        figure: `JD/plain step time, m=${m}`,
        value: times.jacobianDescent / times.plain,
        unit: 'ratio',
        target: { max: target },
      },
      { figure: `JD step peak memory, m=${m}`, value: profile.peakBytes, unit: 'bytes' },
      { figure: `plain step peak memory, m=${m}`, value: plainProfile.peakBytes, unit: 'bytes' },
    );
    optimizer.dispose();
    model.dispose();
  }
  return rows;
}
