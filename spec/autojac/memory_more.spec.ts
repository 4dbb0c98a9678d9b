/**
 * Training loops with the other aggregators of lib/aggregation: `tf.memory().numTensors` stays
 * flat over 250 steps of each autojac path (500 in all); NashMTL's iterative solver gets 100 per
 * path, and the two 4-task models (Krum, TrimmedMean) 125.
 */
import type { Aggregator } from '../../lib/aggregation/aggregator_bases';
import { AlignedMTL } from '../../lib/aggregation/aligned_mtl';
import { CAGrad } from '../../lib/aggregation/cagrad';
import { ConFIG } from '../../lib/aggregation/config';
import { ExcessMTL } from '../../lib/aggregation/excess_mtl';
import { FairGrad } from '../../lib/aggregation/fairgrad';
import { GradDrop } from '../../lib/aggregation/graddrop';
import { GradVac } from '../../lib/aggregation/gradvac';
import { IMTLG } from '../../lib/aggregation/imtl_g';
import { Krum } from '../../lib/aggregation/krum';
import { NashMTL } from '../../lib/aggregation/nash_mtl';
import { PCGrad } from '../../lib/aggregation/pcgrad';
import { TrimmedMean } from '../../lib/aggregation/trimmed_mean';
import { expectFlatMemory } from './memory_model';

// [name, factory, number of tasks, steps per path]
const aggregators: [string, () => Aggregator, number, number][] = [
  ['AlignedMTL', () => new AlignedMTL(), 2, 250],
  ['CAGrad', () => new CAGrad({ c: 0.5 }), 2, 250],
  ['ConFIG', () => new ConFIG(), 2, 250],
  ['ExcessMTL', () => new ExcessMTL(), 2, 250],
  ['FairGrad', () => new FairGrad({ alpha: 1 }), 2, 250],
  ['GradDrop', () => new GradDrop({ seed: 1 }), 2, 250],
  ['GradVac', () => new GradVac({ seed: 1 }), 2, 250],
  ['IMTLG', () => new IMTLG(), 2, 250],
  ['Krum', () => new Krum({ nByzantine: 1, nSelected: 2 }), 4, 125],
  ['NashMTL', () => new NashMTL({ nTasks: 2 }), 2, 100],
  ['PCGrad', () => new PCGrad({ seed: 1 }), 2, 250],
  ['TrimmedMean', () => new TrimmedMean({ trimNumber: 1 }), 4, 125],
];

describe('memory stays flat over a training loop (other aggregators)', () => {
  it.each(aggregators)('with %s', (_, make, m, steps) => expectFlatMemory(make, m, steps));
});
