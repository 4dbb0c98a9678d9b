/**
 * Aggregators and weightings whose weights are computed in JavaScript cannot be differentiated
 * (TorchJD marks UPGrad, CAGrad, SDMGrad and GradDrop `_NonDifferentiable` and runs them under
 * torch.no_grad; here every method with host-computed weights is in that case): a backward pass
 * through their output, with `tf.grad` or inside `record`, throws `NotDifferentiableError` instead
 * of a gradient that treats the weights as constants. Outside a tape nothing changes. The
 * loss-aware aggregators (GradNorm, MoCo, DBMTL, IMTL) compute their weights in JavaScript too.
 */
import * as tf from '@tensorflow/tfjs';
import * as agg from '../../lib/aggregation';
import {
  backward,
  gradOf,
  grad,
  record,
  zeroGrad,
  NotDifferentiableError,
} from '../../lib/autograd';
import { LOSS_AWARE_AGGREGATORS } from './_all_methods';

const J = () =>
  tf.tensor2d([
    [-4, 1, 1],
    [6, 1, 1],
  ]);

const guarded: [string, () => agg.Aggregator][] = [
  ['UPGrad', () => new agg.UPGrad()],
  ['CAGrad', () => new agg.CAGrad({ c: 0.5 })],
  ['GradDrop', () => new agg.GradDrop({ seed: 1 })],
  ['MGDA', () => new agg.MGDA()],
  ['DualProj', () => new agg.DualProj()],
  ['ConFIG', () => new agg.ConFIG()],
  ['TrimmedMean', () => new agg.TrimmedMean({ trimNumber: 0 })],
  ['IMTLG', () => new agg.IMTLG()],
];

describe('methods that cannot be differentiated', () => {
  it.each(guarded)('tf.grad through %s throws NotDifferentiableError', (_, make) => {
    const A = make();
    const matrix = J();
    const g = tf.grad((m: tf.Tensor) => tf.sum(A.apply(m as tf.Tensor2D)));
    expect(() => g(matrix)).toThrow(NotDifferentiableError);
    const names = [
      `${A}`,
      ...('weighting' in A ? [`${(A as agg.WeightedAggregator).weighting}`] : []),
    ];
    let message = '';
    try {
      g(matrix);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(names.some((n) => message.startsWith(`${n} cannot be differentiated`))).toBe(true);
    matrix.dispose();
  });

  it.each(LOSS_AWARE_AGGREGATORS.map((c) => [c.name, c] as const))(
    'tf.grad through %s.applyWithLosses throws NotDifferentiableError, leaking nothing',
    (_, c) => {
      const A = c.make(2);
      const matrix = J();
      const g = tf.grad((m: tf.Tensor) => tf.sum(A.applyWithLosses(m as tf.Tensor2D, [0.5, 2])));
      expect(() => g(matrix)).toThrow(NotDifferentiableError);
      A.reset();
      const before = tf.memory().numTensors;
      let message = '';
      try {
        g(matrix);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message.startsWith(`${A} cannot be differentiated`)).toBe(true);
      A.reset();
      expect(tf.memory().numTensors).toBe(before);
      // Outside a tape the update is returned as is.
      const direct = A.applyWithLosses(matrix, [0.5, 2]);
      expect(direct.shape).toEqual([3]);
      tf.dispose([direct, matrix]);
      A.reset();
    },
  );

  it('a loss-aware aggregator inside record: backward through its update throws, nothing written', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const A = new agg.DBMTL();
    const out = record(() =>
      tf.sum(A.applyWithLosses(tf.stack([p, tf.neg(p)]) as tf.Tensor2D, [1, 2])),
    );
    expect(() => backward(out)).toThrow(NotDifferentiableError);
    expect(gradOf(p)).toBeNull();
    tf.dispose([out, p]);
    A.reset();
    zeroGrad();
  });

  it('a weighting of a recorded Gramian inside record: backward through it throws', () => {
    const p = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, -1],
      ]),
    );
    const out = record(() => {
      const G = tf.matMul(p, p, false, true) as tf.Tensor2D;
      return tf.sum(new agg.UPGradWeighting().apply(G));
    });
    expect(() => backward(out)).toThrow(NotDifferentiableError);
    expect(gradOf(p)).toBeNull(); // nothing written
    tf.dispose([out, p]);
    zeroGrad();
  });

  it('SDMGradWeighting (a matrix weighting) is guarded too', () => {
    const g = tf.grad((m: tf.Tensor) =>
      tf.sum(new agg.SDMGradWeighting().apply(tf.matMul(m, m, false, true) as tf.Tensor2D)),
    );
    const matrix = J();
    expect(() => g(matrix)).toThrow(NotDifferentiableError);
    matrix.dispose();
  });
});

describe('what stays differentiable', () => {
  it('Mean, Sum, Constant and Random: constant weights, exact gradients', () => {
    const matrix = J();
    for (const [A, expected] of [
      [new agg.Mean(), 0.5],
      [new agg.Sum(), 1],
      [new agg.Constant([2, -1]), null],
    ] as const) {
      const dJ = tf.grad((m: tf.Tensor) => tf.sum(A.apply(m as tf.Tensor2D)))(matrix);
      const values = dJ.arraySync() as number[][];
      if (expected !== null) values.flat().forEach((v) => expect(v).toBeCloseTo(expected, 6));
      else
        expect(values).toEqual([
          [2, 2, 2],
          [-1, -1, -1],
        ]);
      dJ.dispose();
    }
    const dJ = tf.grad((m: tf.Tensor) =>
      tf.sum(new agg.Random({ seed: 3 }).apply(m as tf.Tensor2D)),
    )(matrix);
    expect(dJ.shape).toEqual([2, 3]);
    tf.dispose([dJ, matrix]);
  });

  it('a guarded method inside record that the backward pass does not reach is harmless', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const { loss, update } = record(() => ({
      loss: tf.sum(tf.square(p)),
      update: new agg.UPGrad().apply(tf.stack([p, tf.neg(p)]) as tf.Tensor2D),
    }));
    const [dp] = grad(loss, [p]);
    expect(Array.from(dp.dataSync())).toEqual([2, 4]);
    expect(update.shape).toEqual([2]);
    tf.dispose([dp, loss, update, p]);
  });

  it('inside record, steps that call a guarded method keep tf.memory().numTensors flat', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const step = () => {
      const { loss, update } = record(() => ({
        loss: tf.sum(tf.square(p)),
        update: new agg.MGDA().apply(tf.stack([p, tf.neg(p)]) as tf.Tensor2D),
      }));
      backward(loss);
      zeroGrad();
      tf.dispose([loss, update]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('outside a tape the output is returned as is, and nothing leaks in a tape', () => {
    const matrix = J();
    const A = new agg.UPGrad();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) A.apply(matrix).dispose();
    const g = tf.grad((m: tf.Tensor) => tf.sum(A.apply(m as tf.Tensor2D)));
    for (let i = 0; i < 3; i++) expect(() => g(matrix)).toThrow(NotDifferentiableError);
    expect(tf.memory().numTensors).toBe(before);
    matrix.dispose();
  });
});
