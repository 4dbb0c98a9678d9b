/**
 * Where each aggregator checks that the matrix is finite: on the matrix itself, or on a small
 * statistic it computes anyway (the Gramian, per-row risks), which must tell a NaN or infinite
 * entry (`InvalidArgumentError`) from a finite matrix whose statistic overflows float32
 * (`NumericalError`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Aggregator } from '../../lib/aggregation/aggregator_bases';
import { ConFIG } from '../../lib/aggregation/config';
import { ExcessMTL } from '../../lib/aggregation/excess_mtl';
import { GradDrop } from '../../lib/aggregation/graddrop';
import { Mean } from '../../lib/aggregation/mean';
import { MGDA } from '../../lib/aggregation/mgda';
import { NashMTL } from '../../lib/aggregation/nash_mtl';
import { TrimmedMean } from '../../lib/aggregation/trimmed_mean';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { InvalidArgumentError, NumericalError } from '../../lib/errors';

const aggregators: [string, () => Aggregator][] = [
  ['Mean', () => new Mean()],
  ['UPGrad', () => new UPGrad()],
  ['MGDA', () => new MGDA()],
  ['ConFIG', () => new ConFIG()],
  ['NashMTL', () => new NashMTL({ nTasks: 3 })],
  ['ExcessMTL', () => new ExcessMTL()],
  ['TrimmedMean', () => new TrimmedMean({ trimNumber: 1 })],
  ['GradDrop', () => new GradDrop({ seed: 0 })],
];

describe.each(aggregators)('%s', (_name, make) => {
  it.each([NaN, Infinity, -Infinity])('rejects a %s entry with InvalidArgumentError', (bad) => {
    const J = tf.tensor2d([
      [1, 2, 3],
      [4, bad, 6],
      [7, 8, 9],
    ]);
    const before = tf.memory().numTensors;
    expect(() => make().apply(J)).toThrow(InvalidArgumentError);
    expect(tf.memory().numTensors).toBe(before);
    J.dispose();
  });
});

describe.each(
  aggregators.filter(([name]) => ['UPGrad', 'MGDA', 'ConFIG', 'NashMTL'].includes(name)),
)('%s, checking its Gramian', (_name, make) => {
  it('reports a finite matrix whose Gramian overflows float32 as a NumericalError', () => {
    const J = tf.tensor2d([
      [1e20, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    expect(() => make().apply(J)).toThrow(NumericalError);
    J.dispose();
  });
});
