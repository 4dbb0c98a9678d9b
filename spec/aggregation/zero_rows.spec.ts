/**
 * A matrix with no rows (no objective) aggregates to the zero vector, and a 0 × 0 Gramian gives an
 * empty weight vector, as in TorchJD (e.g. its GradVac test `test_zero_rows_returns_zero_vector`):
 * every aggregator and weighting, except those that need a minimum number of rows.
 */
import * as tf from '@tensorflow/tfjs';
import * as agg from '../../lib/aggregation';
import { InvalidArgumentError } from '../../lib/errors';

const aggregators: [string, () => agg.Aggregator][] = [
  ['UPGrad', () => new agg.UPGrad()],
  ['DualProj', () => new agg.DualProj()],
  ['MGDA', () => new agg.MGDA()],
  ['CAGrad', () => new agg.CAGrad({ c: 0.5 })],
  ['PCGrad', () => new agg.PCGrad()],
  ['GradVac', () => new agg.GradVac()],
  ['IMTLG', () => new agg.IMTLG()],
  ['AlignedMTL', () => new agg.AlignedMTL()],
  ['ConFIG', () => new agg.ConFIG()],
  ['GradDrop', () => new agg.GradDrop()],
  ['Mean', () => new agg.Mean()],
  ['Sum', () => new agg.Sum()],
  ['Random', () => new agg.Random({ seed: 1 })],
  ['FairGrad', () => new agg.FairGrad({ alpha: 1 })],
  ['ExcessMTL', () => new agg.ExcessMTL()],
];

const gramianWeightings: [string, () => agg.Weighting][] = [
  ['UPGradWeighting', () => new agg.UPGradWeighting()],
  ['DualProjWeighting', () => new agg.DualProjWeighting()],
  ['MGDAWeighting', () => new agg.MGDAWeighting()],
  ['CAGradWeighting', () => new agg.CAGradWeighting({ c: 0.5 })],
  ['PCGradWeighting', () => new agg.PCGradWeighting()],
  ['GradVacWeighting', () => new agg.GradVacWeighting()],
  ['IMTLGWeighting', () => new agg.IMTLGWeighting()],
  ['AlignedMTLWeighting', () => new agg.AlignedMTLWeighting()],
  ['MeanWeighting', () => new agg.MeanWeighting()],
  ['SumWeighting', () => new agg.SumWeighting()],
  ['FairGradWeighting', () => new agg.FairGradWeighting({ alpha: 1 })],
  ['MoDoWeighting', () => new agg.MoDoWeighting()],
  ['SDMGradWeighting', () => new agg.SDMGradWeighting()],
  ['CRMOGMWeighting(MGDA)', () => new agg.CRMOGMWeighting(new agg.MGDAWeighting())],
];

describe('a matrix with no rows', () => {
  it.each(aggregators)('%s aggregates [0, 3] to the zero vector of length 3', (_, make) => {
    const matrix = tf.zeros([0, 3]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const out = make().apply(matrix);
    expect(out.shape).toEqual([3]);
    expect(Array.from(out.dataSync())).toEqual([0, 0, 0]);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
    matrix.dispose();
  });

  it.each(gramianWeightings)('%s gives an empty weight vector for a 0 × 0 Gramian', (_, make) => {
    const gramian = tf.zeros([0, 0]) as tf.Tensor2D;
    const weights = make().apply(gramian);
    expect(weights.shape).toEqual([0]);
    tf.dispose([weights, gramian]);
  });

  it('a stateful weighting keeps its state across an empty call', () => {
    // The empty call must not reset or advance the state: the next call sees the same history.
    const G = tf.tensor2d([
      [4, -1],
      [-1, 1],
    ]);
    const empty = tf.zeros([0, 0]) as tf.Tensor2D;
    const plain = new agg.SDMGradWeighting();
    const interrupted = new agg.SDMGradWeighting();
    const a = [plain.apply(G), plain.apply(G)];
    const b = [interrupted.apply(G), interrupted.apply(empty), interrupted.apply(G)];
    expect(Array.from(b[2].dataSync())).toEqual(Array.from(a[1].dataSync()));
    tf.dispose([G, empty, ...a, ...b]);
  });

  it('the zero vector has the matrix width, also with no columns', () => {
    const matrix = tf.zeros([0, 0]) as tf.Tensor2D;
    const out = new agg.UPGrad().apply(matrix);
    expect(out.shape).toEqual([0]);
    tf.dispose([out, matrix]);
  });

  it('methods that need a minimum number of rows still refuse it, as TorchJD', () => {
    const matrix = tf.zeros([0, 3]) as tf.Tensor2D;
    expect(() => new agg.Krum({ nByzantine: 1 }).apply(matrix)).toThrow(InvalidArgumentError);
    expect(() => new agg.TrimmedMean({ trimNumber: 1 }).apply(matrix)).toThrow(
      InvalidArgumentError,
    );
    expect(() => new agg.Constant([1, 2]).apply(matrix)).toThrow(/rows/);
    matrix.dispose();
  });

  it('a rank-1 tensor is still refused', () => {
    const vector = tf.zeros([0]);
    expect(() => new agg.Mean().apply(vector as unknown as tf.Tensor2D)).toThrow(/`matrix`/);
    vector.dispose();
  });
});
