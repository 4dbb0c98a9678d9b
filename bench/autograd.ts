/**
 * Issue 2's figures: the cost of recording and of per-objective backward passes, against tfjs's
 * own `tf.variableGrads` on the same model.
 */
import * as tf from '@tensorflow/tfjs';
import { backward, disposeGraph, gradOf, record, zeroGrad } from '../lib/autograd';
import { timeInterleaved, type BenchOptions, type BenchRow } from './common';
import { multiHeadMlp } from './mlp';

/**
 * Times one training step of the two-head MLP (batch 64, see `bench/mlp.ts`) three ways,
 * interleaved: (a) `tf.variableGrads` of the summed loss, (b) `record` + one `backward` of it,
 * (c) `record` + one `backward` per head through the shared trunk. Each step downloads one value of
 * a gradient so the backend really finishes, then disposes what it made.
 *
 * @example
 * ```ts
 * const rows = await run({ quick: true, backend: await useFastestBackend() });
 * ```
 */
export async function run(options: BenchOptions): Promise<BenchRow[]> {
  const model = multiHeadMlp(2);
  const firstWeight = model.trunk[0];
  const summedLoss = () => {
    const features = model.features();
    return tf.add(model.lossOfHead(features, 0), model.lossOfHead(features, 1)) as tf.Scalar;
  };
  const times = timeInterleaved(
    {
      variableGrads: () => {
        const { value, grads } = tf.variableGrads(summedLoss);
        grads[firstWeight.name].dataSync();
        tf.dispose([value, grads]);
      },
      recordBackward: () => {
        const loss = record(summedLoss);
        backward(loss);
        gradOf(firstWeight)!.dataSync();
        zeroGrad();
        loss.dispose();
      },
      recordBackwardPerHead: () => {
        const losses = record(() => {
          const features = model.features();
          return [model.lossOfHead(features, 0), model.lossOfHead(features, 1)];
        });
        backward(losses[0], { retainGraph: true });
        backward(losses[1]);
        gradOf(firstWeight)!.dataSync();
        zeroGrad();
        // The second pass frees only what it went through (the trunk and head 1, as in PyTorch):
        // head 0's saved tensors stay, since losses[0] could still be differentiated, until the
        // next record() finds every returned tensor disposed. After the last step there is no
        // next record, so the graph is freed here, as the docs say to after a retained graph.
        disposeGraph(losses);
        tf.dispose(losses);
      },
    },
    options.quick ? { warmup: 2, iters: 5 } : { warmup: 5, iters: 30 },
  );
  model.dispose();
  return [
    { figure: '(a) tf.variableGrads, summed loss', value: times.variableGrads, unit: 'ms' },
    { figure: '(b) record + one backward', value: times.recordBackward, unit: 'ms' },
    {
      figure: '(c) record + one backward per head',
      value: times.recordBackwardPerHead,
      unit: 'ms',
    },
    {
      figure: 'b/a: recording overhead',
      value: times.recordBackward / times.variableGrads,
      unit: 'ratio',
      target: { max: 1.15 },
    },
    {
      figure: 'c/a: two objectives, one forward',
      value: times.recordBackwardPerHead / times.variableGrads,
      unit: 'ratio',
      target: { max: 1.8 },
    },
  ];
}
