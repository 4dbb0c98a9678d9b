/**
 * Every scalarizer of the library, each with a factory taking the shape of the losses, for the
 * specs that must cover them all (trust and fuzz). A scalarizer added to the library should be
 * added here. `dispose` frees what a trainable one owns.
 */
import { scalarization } from '../../lib/index';
import type { Scalarizer } from '../../lib/scalarization/scalarizer_base';

export interface ScalarizerCase {
  name: string;
  make: (shape: number[]) => Scalarizer;
  /** True when it only accepts non-negative (GeometricMean) or above-bound (FAMO) losses. */
  positiveLosses: boolean;
}

const ones = (shape: number[]) => {
  const size = shape.reduce((a, b) => a * b, 1);
  const flat = new Array<number>(size).fill(1);
  return shape.length === 1 ? flat : [...Array(shape[0])].map(() => flat.slice(0, shape[1]));
};

export const SCALARIZERS: ScalarizerCase[] = [
  { name: 'Mean', make: () => new scalarization.Mean(), positiveLosses: false },
  { name: 'Sum', make: () => new scalarization.Sum(), positiveLosses: false },
  { name: 'Constant', make: (s) => new scalarization.Constant(ones(s)), positiveLosses: false },
  { name: 'Random', make: () => new scalarization.Random({ seed: 0 }), positiveLosses: false },
  { name: 'STCH', make: () => new scalarization.STCH({ mu: 0.1 }), positiveLosses: false },
  {
    name: 'PBI',
    make: (s) => new scalarization.PBI({ theta: 5, weights: ones(s) }),
    positiveLosses: false,
  },
  {
    name: 'COSMOS',
    make: (s) => new scalarization.COSMOS({ lambda: 1, weights: ones(s) }),
    positiveLosses: false,
  },
  { name: 'UW', make: (s) => new scalarization.UW({ shape: s }), positiveLosses: false },
  { name: 'IMTLL', make: (s) => new scalarization.IMTLL({ shape: s }), positiveLosses: false },
  { name: 'DWA', make: () => new scalarization.DWA(), positiveLosses: false },
  { name: 'FAMO', make: (s) => new scalarization.FAMO({ shape: s }), positiveLosses: true },
  { name: 'GeometricMean', make: () => new scalarization.GeometricMean(), positiveLosses: true },
];

/** Frees the variables of a trainable scalarizer (UW, IMTLL); nothing for the others. */
export function disposeScalarizer(s: Scalarizer): void {
  const d = (s as unknown as { dispose?: () => void }).dispose;
  if (typeof d === 'function') d.call(s);
}
