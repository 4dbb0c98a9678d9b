/**
 * The loss-aware interface: aggregators that need the losses get them from applyWithLosses,
 * mtlGrads, mtlBackward({ aggregator }) and jacToGrad, and refuse to run without them.
 */
import * as tf from '@tensorflow/tfjs';
import { isLossAware, LossAwareAggregator } from '../../lib/aggregation/loss_aware';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { gradOf, record, zeroGrad } from '../../lib/autograd';
import { backward as autojacBackward, jacToGrad, mtlBackward, mtlGrads } from '../../lib/autojac';
import { InvalidArgumentError } from '../../lib/errors';

/** Weights each row by its loss: simple enough to check by hand. */
class LossWeightedSum extends LossAwareAggregator {
  seen: number[][] = [];
  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const losses = Array.from(this.currentLosses);
    this.seen.push(losses);
    return tf.tidy(() => tf.matMul(tf.tensor2d([losses]), matrix).reshape([-1]) as tf.Tensor1D);
  }
}

describe('LossAwareAggregator', () => {
  it('is recognized by isLossAware, and UPGrad is not', () => {
    expect(isLossAware(new LossWeightedSum())).toBe(true);
    expect(isLossAware(new UPGrad())).toBe(false);
  });

  it('applyWithLosses passes the losses to forward; hooks see the matrix only', () => {
    const aggregator = new LossWeightedSum();
    const hookArgs: number[] = [];
    aggregator.registerForwardHook((_a, args) => void hookArgs.push(args.length));
    const out = tf.tidy(() =>
      Array.from(
        aggregator
          .applyWithLosses(
            tf.tensor2d([
              [1, 0],
              [0, 1],
            ]),
            tf.tensor1d([2, 3]),
          )
          .dataSync(),
      ),
    );
    expect(out).toEqual([2, 3]);
    expect(hookArgs).toEqual([1]);
  });

  it('apply without losses throws an InvalidArgumentError naming losses', () => {
    const matrix = tf.tensor2d([[1, 0]]);
    expect(() => new LossWeightedSum().apply(matrix)).toThrow(InvalidArgumentError);
    expect(() => new LossWeightedSum().apply(matrix)).toThrow(/`losses`.*applyWithLosses/);
    matrix.dispose();
  });

  it('rejects a wrong number of losses and non-finite losses', () => {
    const matrix = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    const a = new LossWeightedSum();
    expect(() => a.applyWithLosses(matrix, [1])).toThrow(/one loss per row/);
    expect(() => a.applyWithLosses(matrix, [1, NaN])).toThrow(InvalidArgumentError);
    expect(() => a.applyWithLosses(matrix, [1, Infinity])).toThrow(InvalidArgumentError);
    expect(a.seen).toEqual([]);
    matrix.dispose();
  });

  it('mtlGrads, mtlBackward({ aggregator }) and jacToGrad pass the loss values', () => {
    const shared = tf.variable(tf.tensor1d([1, 2]), true, 'la_shared');
    const aggregator = new LossWeightedSum();
    const forward = () => {
      const features = tf.mul(shared, 1);
      return { features, losses: [tf.sum(features), tf.sum(tf.square(features))] };
    };
    // losses 3 and 5; rows [1, 1] and [2, 4]: 3·[1, 1] + 5·[2, 4] = [13, 23]
    const { losses, grads } = mtlGrads(forward, { aggregator });
    expect(Array.from(grads['la_shared'].dataSync())).toEqual([13, 23]);
    tf.dispose([losses, grads]);

    const out = record(forward);
    mtlBackward({ ...out, aggregator });
    expect(Array.from(gradOf(shared)!.dataSync())).toEqual([13, 23]);
    zeroGrad();
    tf.dispose([out.features, out.losses]);

    const ys = record(() => [tf.sum(shared), tf.sum(tf.square(shared))]);
    autojacBackward(ys);
    expect(() => jacToGrad([shared], aggregator, { retainJac: true })).toThrow(/`losses`/);
    jacToGrad([shared], aggregator, { losses: tf.tensor1d([3, 5]) });
    expect(Array.from(gradOf(shared)!.dataSync())).toEqual([13, 23]);
    zeroGrad();
    tf.dispose([ys, shared]);
    expect(aggregator.seen).toEqual([
      [3, 5],
      [3, 5],
      [3, 5],
    ]);
  });

  it('keeps tf.memory().numTensors flat over many mtlGrads steps', () => {
    const shared = tf.variable(tf.tensor1d([1, 2]), true, 'la_mem');
    const aggregator = new LossWeightedSum();
    const step = () => {
      const { losses, grads } = mtlGrads(
        () => {
          const features = tf.mul(shared, 1);
          return { features, losses: [tf.sum(features), tf.sum(tf.square(features))] };
        },
        { aggregator },
      );
      tf.dispose([losses, grads]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    shared.dispose();
  });
});
