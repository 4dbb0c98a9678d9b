/**
 * TorchJD's property setters (`@x.setter` in torchjd.aggregation and its projector), in camelCase:
 * each validates its value (an `InvalidArgumentError` naming it), the aggregator's getter reads its
 * weighting's, and the aggregator's setter sets its weighting's, which is what the computation uses.
 */
import * as tf from '@tensorflow/tfjs';
import * as agg from '../../lib/aggregation';
import { InvalidArgumentError } from '../../lib/errors';
import { ActiveSetProjector, QuadprogProjector } from '../../lib/linalg/dual_cone';
import { aggregate } from './_properties';

type Settable = Record<string, unknown>;

/** [name, factory, the object holding the value (the weighting), property, valid, invalid]. */
const cases: [string, () => object, (o: object) => object, string, unknown, unknown][] = [
  [
    'UPGrad',
    () => new agg.UPGrad(),
    (a) => (a as agg.UPGrad).gramianWeighting,
    'prefVector',
    [1, 2],
    [1, NaN],
  ],
  [
    'UPGrad',
    () => new agg.UPGrad(),
    (a) => (a as agg.UPGrad).gramianWeighting,
    'projector',
    new QuadprogProjector(),
    {},
  ],
  ['UPGrad', () => new agg.UPGrad(), (a) => (a as agg.UPGrad).projector, 'normEps', 0.25, -1],
  ['UPGrad', () => new agg.UPGrad(), (a) => (a as agg.UPGrad).projector, 'regEps', 0.25, -1],
  [
    'DualProj',
    () => new agg.DualProj(),
    (a) => (a as agg.DualProj).gramianWeighting,
    'prefVector',
    [1, 2],
    'x',
  ],
  [
    'DualProj',
    () => new agg.DualProj(),
    (a) => (a as agg.DualProj).gramianWeighting,
    'projector',
    new QuadprogProjector(),
    3,
  ],
  ['DualProj', () => new agg.DualProj(), (a) => (a as agg.DualProj).projector, 'normEps', 0.5, NaN],
  [
    'DualProj',
    () => new agg.DualProj(),
    (a) => (a as agg.DualProj).projector,
    'regEps',
    0.5,
    -1e-9,
  ],
  [
    'AlignedMTL',
    () => new agg.AlignedMTL(),
    (a) => (a as agg.AlignedMTL).gramianWeighting,
    'prefVector',
    [1, 2],
    [],
  ],
  [
    'AlignedMTL',
    () => new agg.AlignedMTL(),
    (a) => (a as agg.AlignedMTL).gramianWeighting,
    'scaleMode',
    'rmse',
    'test',
  ],
  ['MGDA', () => new agg.MGDA(), (a) => (a as agg.MGDA).gramianWeighting, 'epsilon', 0.1, 0],
  ['MGDA', () => new agg.MGDA(), (a) => (a as agg.MGDA).gramianWeighting, 'maxIters', 3, 0],
  [
    'CAGrad',
    () => new agg.CAGrad({ c: 0.5 }),
    (a) => (a as agg.CAGrad).gramianWeighting,
    'c',
    2,
    -1,
  ],
  [
    'CAGrad',
    () => new agg.CAGrad({ c: 0.5 }),
    (a) => (a as agg.CAGrad).gramianWeighting,
    'normEps',
    0.25,
    -1e-9,
  ],
  [
    'Krum',
    () => new agg.Krum({ nByzantine: 1 }),
    (a) => (a as agg.Krum).gramianWeighting,
    'nByzantine',
    2,
    -1,
  ],
  [
    'Krum',
    () => new agg.Krum({ nByzantine: 1 }),
    (a) => (a as agg.Krum).gramianWeighting,
    'nSelected',
    2,
    0,
  ],
  [
    'FairGrad',
    () => new agg.FairGrad({ alpha: 1 }),
    (a) => (a as agg.FairGrad).gramianWeighting,
    'alpha',
    2,
    -1,
  ],
  ['GradVac', () => new agg.GradVac(), (a) => (a as agg.GradVac).gramianWeighting, 'beta', 0.25, 2],
  ['GradVac', () => new agg.GradVac(), (a) => (a as agg.GradVac).gramianWeighting, 'eps', 1e-6, -1],
  [
    'ExcessMTL',
    () => new agg.ExcessMTL(),
    (a) => (a as agg.ExcessMTL).weighting,
    'robustStepSize',
    2,
    0,
  ],
  [
    'ExcessMTL',
    () => new agg.ExcessMTL(),
    (a) => (a as agg.ExcessMTL).weighting,
    'nWarmupSteps',
    3,
    -1,
  ],
  [
    'NashMTL',
    () => new agg.NashMTL({ nTasks: 2 }),
    (a) => (a as agg.NashMTL).weighting,
    'maxNorm',
    2,
    -1,
  ],
  [
    'NashMTL',
    () => new agg.NashMTL({ nTasks: 2 }),
    (a) => (a as agg.NashMTL).weighting,
    'optimNiter',
    5,
    0,
  ],
  ['TrimmedMean', () => new agg.TrimmedMean({ trimNumber: 1 }), (a) => a, 'trimNumber', 2, -1],
  ['GradDrop', () => new agg.GradDrop(), (a) => a, 'leak', [0, 1], [NaN]],
  ['ConFIG', () => new agg.ConFIG(), (a) => a, 'prefVector', [1, 2], [Infinity]],
  ['SDMGradWeighting', () => new agg.SDMGradWeighting(), (w) => w, 'lr', 0.5, 0],
  ['MoDoWeighting', () => new agg.MoDoWeighting(), (w) => w, 'gamma', 0.5, -1],
  [
    'CRMOGMWeighting',
    () => new agg.CRMOGMWeighting(new agg.MeanWeighting()),
    (w) => w,
    'alpha',
    0.5,
    2,
  ],
];

/** A value as its getter gives it back (vectors come back as number arrays). */
const normalized = (value: unknown) => (Array.isArray(value) ? [...value] : value);

describe('TorchJD setters', () => {
  it.each(cases)(
    '%s.%s… sets its weighting, reads back, and validates',
    (_, make, inner, name, valid, invalid) => {
      const object = make() as Settable;
      (object as Settable)[name] = valid;
      expect(normalized(object[name])).toEqual(normalized(valid));
      expect(normalized((inner(object) as Settable)[name])).toEqual(normalized(valid));
      let thrown: unknown;
      try {
        (object as Settable)[name] = invalid;
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect(String((thrown as Error).message)).toContain(`\`${name}\``);
      expect(normalized(object[name])).toEqual(normalized(valid)); // a refused value changes nothing
    },
  );

  it('a vector setting accepts a tf.Tensor1D and undefined (back to uniform)', () => {
    const A = new agg.UPGrad();
    const v = tf.tensor1d([1, 2]);
    A.prefVector = v;
    expect(A.prefVector).toEqual([1, 2]);
    expect(A.toString()).toBe('UPGrad([1., 2.])');
    A.prefVector = undefined;
    expect(A.prefVector).toBeUndefined();
    expect(A.toString()).toBe('UPGrad');
    v.dispose();
  });

  it('setting the projector to undefined restores the default one, as projector_or_default', () => {
    const A = new agg.DualProj({ projector: new QuadprogProjector() });
    A.projector = undefined;
    expect(A.projector).toBeInstanceOf(ActiveSetProjector);
  });
});

describe('the set values are the ones used', () => {
  const rows = [
    [-4, 1, 1],
    [6, 1, 1],
    [2, -3, 0.5],
  ];

  it('MGDA: maxIters and epsilon set on the aggregator change its result as the options do', () => {
    const A = new agg.MGDA();
    const full = aggregate(A, rows);
    A.maxIters = 1;
    expect(aggregate(A, rows)).toEqual(aggregate(new agg.MGDA({ maxIters: 1 }), rows));
    expect(aggregate(A, rows)).not.toEqual(full);
    A.maxIters = 100;
    A.epsilon = 0.9;
    expect(aggregate(A, rows)).toEqual(aggregate(new agg.MGDA({ epsilon: 0.9 }), rows));
  });

  it('UPGrad and DualProj: prefVector, projector and the eps as the constructor options', () => {
    for (const [make, fresh] of [
      [() => new agg.UPGrad(), (o: agg.UPGradOptions) => new agg.UPGrad(o)],
      [() => new agg.DualProj(), (o: agg.DualProjOptions) => new agg.DualProj(o)],
    ] as const) {
      const A = make();
      A.prefVector = [1, 2, 3];
      expect(aggregate(A, rows)).toEqual(aggregate(fresh({ prefVector: [1, 2, 3] }), rows));
      A.prefVector = undefined;
      A.regEps = 0.5;
      A.normEps = 1e-3;
      expect(aggregate(A, rows)).toEqual(aggregate(fresh({ regEps: 0.5, normEps: 1e-3 }), rows));
      A.projector = new QuadprogProjector({ regEps: 0.5, normEps: 1e-3 });
      const viaQuadprog = aggregate(A, rows);
      expect(A.regEps).toBe(0.5);
      aggregate(fresh({ regEps: 0.5, normEps: 1e-3 }), rows).forEach((v, i) =>
        expect(viaQuadprog[i]).toBeCloseTo(v, 5),
      );
    }
  });

  it('a projector without eps: the eps setters say so', () => {
    const bare = { project: (U: number[][]) => U.map((u) => [...u]), toString: () => 'Bare' };
    const A = new agg.UPGrad({ projector: bare });
    expect(A.normEps).toBeUndefined();
    expect(() => (A.normEps = 0.1)).toThrow(/`normEps`.*Bare/);
  });

  it('AlignedMTL: scaleMode and prefVector as the constructor options', () => {
    const A = new agg.AlignedMTL();
    A.scaleMode = 'rmse';
    A.prefVector = [1, 2, 3];
    expect(aggregate(A, rows)).toEqual(
      aggregate(new agg.AlignedMTL({ scaleMode: 'rmse', prefVector: [1, 2, 3] }), rows),
    );
    expect(A.toString()).toBe('AlignedMTL([1., 2., 3.])');
  });

  it('ConFIG: prefVector as the constructor option', () => {
    const A = new agg.ConFIG();
    A.prefVector = [1, 2, 3];
    expect(aggregate(A, rows)).toEqual(aggregate(new agg.ConFIG({ prefVector: [1, 2, 3] }), rows));
    expect(A.toString()).toBe('ConFIG([1., 2., 3.])');
  });
});
