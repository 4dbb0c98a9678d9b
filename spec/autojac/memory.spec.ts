/**
 * Training loops with the core aggregators of lib/aggregation: `tf.memory().numTensors` stays flat
 * over 250 steps of each autojac path (500 in all).
 */
import type { Aggregator } from '../../lib/aggregation/aggregator_bases';
import { Constant } from '../../lib/aggregation/constant';
import { DualProj } from '../../lib/aggregation/dualproj';
import { Mean } from '../../lib/aggregation/mean';
import { MGDA } from '../../lib/aggregation/mgda';
import { Random } from '../../lib/aggregation/random';
import { Sum } from '../../lib/aggregation/sum';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { expectFlatMemory } from './memory_model';

// [name, factory, number of tasks, steps per path]
const aggregators: [string, () => Aggregator, number, number][] = [
  ['UPGrad', () => new UPGrad(), 2, 250],
  ['DualProj', () => new DualProj(), 2, 250],
  ['MGDA', () => new MGDA(), 2, 250],
  ['Mean', () => new Mean(), 2, 250],
  ['Sum', () => new Sum(), 2, 250],
  ['Constant', () => new Constant([0.3, 0.7]), 2, 250],
  ['Random', () => new Random({ seed: 1 }), 2, 250],
];

describe('memory stays flat over a training loop (core aggregators)', () => {
  it.each(aggregators)('with %s', (_, make, m, steps) => expectFlatMemory(make, m, steps));
});
