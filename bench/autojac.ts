/**
 * Issue 4's figures: one Jacobian-descent training step (mtlGrads + UPGrad + applyGradients)
 * against one plain step (tf.variableGrads of the summed loss + applyGradients), same model.
 */
import * as tf from '@tensorflow/tfjs';
import { UPGrad } from '../lib/aggregation/upgrad';
import { mtlGrads } from '../lib/autojac';
import { STEADY, timeInterleaved, type BenchOptions, type BenchRow } from './common';
import { multiHeadMlp } from './mlp';

/**
 * The two steps the figures compare on the 784→256→256 MLP with m softmax heads, batch 64: one
 * Jacobian-descent step (mtlGrads + UPGrad + applyGradients) and one plain step (tf.variableGrads
 * of the summed loss + applyGradients). Also run side by side with TorchJD (bench/torchjd.ts).
 */
export function mtlSteps(m: number): {
  plain: () => void;
  jacobianDescent: () => void;
  dispose: () => void;
} {
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
  return {
    plain,
    jacobianDescent,
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * Times one Jacobian-descent step (mtlGrads + UPGrad + applyGradients) against one plain step
 * (tf.variableGrads of the summed loss + applyGradients) on the 784→256→256 MLP with m = 2 and
 * m = 8 and m = 32 softmax heads, batch 64, and measures the peak memory of each.
 */
export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [m, target] of [
    [2, 1.3],
    [8, 2.0],
    [32, 3.0],
  ] as const) {
    const { plain, jacobianDescent, dispose } = mtlSteps(m);
    const times = timeInterleaved(
      { plain, jacobianDescent },
      options.quick ? { warmup: 2, iters: 4 } : STEADY,
    );
    // tf.profile returns the engine's one profile object: read each figure before the next call.
    // Peak bytes above what is alive before the step (model, data, optimizer state).
    const peakAbove = async (step: () => void) => {
      const before = tf.memory().numBytes;
      return (await tf.profile(step)).peakBytes - before;
    };
    const jdPeak = await peakAbove(jacobianDescent);
    const plainPeak = await peakAbove(plain);
    rows.push(
      { figure: `plain step (variableGrads), m=${m}`, value: times.plain, unit: 'ms' },
      { figure: `JD step (mtlGrads + UPGrad), m=${m}`, value: times.jacobianDescent, unit: 'ms' },
      {
        figure: `JD/plain step time, m=${m}`,
        value: times.jacobianDescent / times.plain,
        unit: 'ratio',
        target: { max: target },
      },
      { figure: `JD step peak memory above baseline, m=${m}`, value: jdPeak, unit: 'bytes' },
      { figure: `plain step peak memory above baseline, m=${m}`, value: plainPeak, unit: 'bytes' },
    );
    dispose();
  }
  return rows;
}
