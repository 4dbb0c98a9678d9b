/**
 * Every aggregator and weighting of the library, each with a factory taking the number of rows
 * `m` (some methods need it in their options), for the specs that must cover them all (the
 * trust and fuzz specs), and the loss-aware aggregators apart. A method added to the library
 * should be added here.
 */
import * as jd from '../../lib/index';
import type { Aggregator } from '../../lib/aggregation/aggregator_bases';
import type { LossAwareAggregator } from '../../lib/aggregation/loss_aware';
import type { Weighting } from '../../lib/aggregation/weighting_bases';

export interface AggregatorCase {
  name: string;
  make: (m: number) => Aggregator;
  /** The smallest number of rows it accepts. */
  minRows: number;
}

export interface WeightingCase {
  name: string;
  make: (m: number) => Weighting;
  /** What it takes: the Gramian, a square `m × m` matrix that is not a Gramian, or any matrix. */
  input: 'gramian' | 'square' | 'matrix';
  /** True when its weights depend on the values of the input (which must then be finite). */
  readsValues: boolean;
  /** True when it has a state across calls (`reset()`). */
  stateful: boolean;
  minRows: number;
}

export const AGGREGATORS: AggregatorCase[] = [
  { name: 'UPGrad', make: () => new jd.UPGrad(), minRows: 1 },
  { name: 'DualProj', make: () => new jd.DualProj(), minRows: 1 },
  { name: 'MGDA', make: () => new jd.MGDA(), minRows: 1 },
  { name: 'CAGrad', make: () => new jd.CAGrad({ c: 0.5 }), minRows: 1 },
  { name: 'PCGrad', make: () => new jd.PCGrad({ seed: 0 }), minRows: 1 },
  { name: 'GradVac', make: () => new jd.GradVac({ seed: 0 }), minRows: 1 },
  { name: 'IMTLG', make: () => new jd.IMTLG(), minRows: 1 },
  { name: 'AlignedMTL', make: () => new jd.AlignedMTL(), minRows: 1 },
  { name: 'ConFIG', make: () => new jd.ConFIG(), minRows: 1 },
  { name: 'GradDrop', make: () => new jd.GradDrop({ seed: 0 }), minRows: 1 },
  { name: 'Krum', make: () => new jd.Krum({ nByzantine: 1 }), minRows: 4 },
  { name: 'TrimmedMean', make: () => new jd.TrimmedMean({ trimNumber: 1 }), minRows: 3 },
  { name: 'Mean', make: () => new jd.Mean(), minRows: 1 },
  { name: 'Sum', make: () => new jd.Sum(), minRows: 1 },
  { name: 'Constant', make: (m) => new jd.Constant(new Array<number>(m).fill(1)), minRows: 1 },
  { name: 'Random', make: () => new jd.Random({ seed: 0 }), minRows: 1 },
  { name: 'NashMTL', make: (m) => new jd.NashMTL({ nTasks: m }), minRows: 1 },
  { name: 'FairGrad', make: () => new jd.FairGrad({ alpha: 1 }), minRows: 1 },
  { name: 'ExcessMTL', make: () => new jd.ExcessMTL(), minRows: 1 },
];

export interface LossAwareCase {
  name: string;
  /** All four are stateful, with `reset()`. */
  make: (m: number) => LossAwareAggregator & { reset(): void };
  /** The class, for the specs that call its constructor as plain JavaScript can. */
  cls: unknown;
}

/**
 * The aggregators that need the losses (`applyWithLosses`), kept apart from {@link AGGREGATORS}:
 * `apply(matrix)` alone refuses to run them.
 */
export const LOSS_AWARE_AGGREGATORS: LossAwareCase[] = [
  { name: 'GradNorm', make: () => new jd.GradNorm({ lr: 0.1 }), cls: jd.GradNorm },
  { name: 'MoCo', make: () => new jd.MoCo(), cls: jd.MoCo },
  { name: 'DBMTL', make: () => new jd.DBMTL(), cls: jd.DBMTL },
  { name: 'IMTL', make: () => new jd.IMTL(), cls: jd.IMTL },
];

const gramian = (
  name: string,
  make: (m: number) => Weighting,
  stateful = false,
  minRows = 1,
): WeightingCase => ({ name, make, input: 'gramian', readsValues: true, stateful, minRows });

export const WEIGHTINGS: WeightingCase[] = [
  gramian('UPGradWeighting', () => new jd.UPGradWeighting()),
  gramian('DualProjWeighting', () => new jd.DualProjWeighting()),
  gramian('MGDAWeighting', () => new jd.MGDAWeighting()),
  gramian('CAGradWeighting', () => new jd.CAGradWeighting({ c: 0.5 })),
  gramian('PCGradWeighting', () => new jd.PCGradWeighting({ seed: 0 })),
  gramian('GradVacWeighting', () => new jd.GradVacWeighting({ seed: 0 }), true),
  gramian('IMTLGWeighting', () => new jd.IMTLGWeighting()),
  gramian('AlignedMTLWeighting', () => new jd.AlignedMTLWeighting()),
  gramian('KrumWeighting', () => new jd.KrumWeighting({ nByzantine: 1 }), false, 4),
  gramian('FairGradWeighting', () => new jd.FairGradWeighting({ alpha: 1 })),
  gramian('CRMOGMWeighting(MGDA)', () => new jd.CRMOGMWeighting(new jd.MGDAWeighting()), true),
  gramian('CRMOGMWeighting(UPGrad)', () => new jd.CRMOGMWeighting(new jd.UPGradWeighting()), true),
  {
    name: 'SDMGradWeighting',
    make: () => new jd.SDMGradWeighting(),
    input: 'square',
    readsValues: true,
    stateful: true,
    minRows: 1,
  },
  {
    name: 'MoDoWeighting',
    make: () => new jd.MoDoWeighting(),
    input: 'square',
    readsValues: true,
    stateful: true,
    minRows: 1,
  },
  {
    name: 'NashMTLWeighting',
    make: (m) => new jd.NashMTLWeighting({ nTasks: m }),
    input: 'matrix',
    readsValues: true,
    stateful: true,
    minRows: 1,
  },
  {
    name: 'ExcessMTLWeighting',
    make: () => new jd.ExcessMTLWeighting(),
    input: 'matrix',
    readsValues: true,
    stateful: true,
    minRows: 1,
  },
  ...(
    [
      ['MeanWeighting', () => new jd.MeanWeighting()],
      ['SumWeighting', () => new jd.SumWeighting()],
      ['ConstantWeighting', (m: number) => new jd.ConstantWeighting(new Array<number>(m).fill(1))],
      ['RandomWeighting', () => new jd.RandomWeighting({ seed: 0 })],
    ] as [string, (m: number) => Weighting][]
  ).map(([name, make]): WeightingCase => ({
    name,
    make,
    input: 'matrix',
    readsValues: false,
    stateful: name === 'RandomWeighting',
    minRows: 1,
  })),
];
