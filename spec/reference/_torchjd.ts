/**
 * Loads the TorchJD reference fixtures (spec/fixtures/torchjd/, written by
 * tools/reference/torchjd/generate.py from TorchJD itself) and builds the tfjs-jd object that each
 * fixture entry names, from the entry's options (tfjs-jd's camelCase names).
 */
import * as tf from '@tensorflow/tfjs';
import * as jd from '../../lib/aggregation';
import * as sc from '../../lib/scalarization';
import aggregationJson from '../fixtures/torchjd/aggregation.json';
import scalarizationJson from '../fixtures/torchjd/scalarization.json';
import statefulJson from '../fixtures/torchjd/stateful.json';

export type Rows = number[][];
type Options = Record<string, unknown>;

export interface MatrixEntry {
  kind: 'aggregator' | 'weighting';
  method: string;
  options: Options;
  matrix: string;
  output: number[];
}
export interface SequenceEntry {
  kind: 'aggregator' | 'gramian';
  method: string;
  options: Options;
  sequence: string;
  outputs: number[][];
}
export interface ScalarizerEntry {
  method: string;
  options: Options;
  values: number[] | number[][];
  output: number;
  gradient: number[] | number[][];
}
export interface ScalarizerStep {
  values: number[];
  after?: number[];
  output: number;
  gradient: number[];
  stepAfter?: boolean;
}
export interface StatefulScalarizerEntry {
  method: string;
  options: Options;
  protocol: 'famo' | 'dwa' | 'sgd0.1';
  steps: ScalarizerStep[];
}

export const aggregationFixture = aggregationJson as unknown as {
  matrices: Record<string, Rows>;
  entries: MatrixEntry[];
};
export const statefulFixture = statefulJson as unknown as {
  matrices: Record<string, Rows>;
  sequences: Record<string, string[]>;
  entries: SequenceEntry[];
};
export const scalarizationFixture = scalarizationJson as unknown as {
  entries: ScalarizerEntry[];
  stateful: StatefulScalarizerEntry[];
};

type Factory = (options: Options) => jd.Aggregator | jd.Weighting;
const o = (options: Options) => options as never;

const AGGREGATORS: Record<string, Factory> = {
  UPGrad: (x) => new jd.UPGrad(o(x)),
  DualProj: (x) => new jd.DualProj(o(x)),
  MGDA: (x) => new jd.MGDA(o(x)),
  CAGrad: (x) => new jd.CAGrad(o(x)),
  IMTLG: () => new jd.IMTLG(),
  AlignedMTL: (x) => new jd.AlignedMTL(o(x)),
  ConFIG: (x) => new jd.ConFIG(o(x)),
  Mean: () => new jd.Mean(),
  Sum: () => new jd.Sum(),
  Constant: (x) => new jd.Constant(x.weights as number[]),
  FairGrad: (x) => new jd.FairGrad(o(x)),
  NashMTL: (x) => new jd.NashMTL(o(x)),
  ExcessMTL: (x) => new jd.ExcessMTL(o(x)),
  PCGrad: () => new jd.PCGrad(),
  GradVac: (x) => new jd.GradVac(o(x)),
  TrimmedMean: (x) => new jd.TrimmedMean(o(x)),
  Krum: (x) => new jd.Krum(o(x)),
};

const WEIGHTINGS: Record<string, Factory> = {
  UPGradWeighting: (x) => new jd.UPGradWeighting(o(x)),
  DualProjWeighting: (x) => new jd.DualProjWeighting(o(x)),
  MGDAWeighting: (x) => new jd.MGDAWeighting(o(x)),
  CAGradWeighting: (x) => new jd.CAGradWeighting(o(x)),
  IMTLGWeighting: () => new jd.IMTLGWeighting(),
  AlignedMTLWeighting: (x) => new jd.AlignedMTLWeighting(o(x)),
  MeanWeighting: () => new jd.MeanWeighting(),
  SumWeighting: () => new jd.SumWeighting(),
  ConstantWeighting: (x) => new jd.ConstantWeighting(x.weights as number[]),
  FairGradWeighting: (x) => new jd.FairGradWeighting(o(x)),
  MoDoWeighting: (x) => new jd.MoDoWeighting(o(x)),
  SDMGradWeighting: (x) => new jd.SDMGradWeighting(o(x)),
  PCGradWeighting: () => new jd.PCGradWeighting(),
  GradVacWeighting: (x) => new jd.GradVacWeighting(o(x)),
  KrumWeighting: (x) => new jd.KrumWeighting(o(x)),
  CRMOGMWeighting: ({ weighting, ...rest }) =>
    new jd.CRMOGMWeighting(WEIGHTINGS[weighting as string]({}) as jd.Weighting, o(rest)),
};

/** The tfjs-jd aggregator or weighting a fixture entry names. */
export function build(method: string, options: Options): jd.Aggregator | jd.Weighting {
  const factory = AGGREGATORS[method] ?? WEIGHTINGS[method];
  if (factory === undefined) throw new Error(`no tfjs-jd factory for ${method}`);
  return factory(options);
}

/** The tfjs-jd scalarizer a fixture entry names. */
export function buildScalarizer(method: string, options: Options): sc.Scalarizer {
  switch (method) {
    case 'Mean':
      return new sc.Mean();
    case 'Sum':
      return new sc.Sum();
    case 'GeometricMean':
      return new sc.GeometricMean();
    case 'Constant':
      return new sc.Constant(options.weights as number[]);
    case 'STCH':
      return new sc.STCH(o(options));
    case 'PBI':
      return new sc.PBI(o(options));
    case 'COSMOS':
      return new sc.COSMOS(o(options));
    case 'UW':
      return new sc.UW(o(options));
    case 'IMTLL':
      return new sc.IMTLL(o(options));
    case 'FAMO':
      return new sc.FAMO(o(options));
    case 'DWA':
      return new sc.DWA(o(options));
    default:
      throw new Error(`no tfjs-jd scalarizer for ${method}`);
  }
}

/** The float64 Gramian `J Jᵀ`, as the generator computes it before handing it to TorchJD. */
export function gramianOf(rows: Rows): Rows {
  return rows.map((a) => rows.map((b) => a.reduce((s, v, k) => s + v * b[k], 0)));
}

/** Applies an aggregator or weighting to rows (a float32 tensor) and reads the result. */
export function applyTo(method: jd.Aggregator | jd.Weighting, rows: Rows): number[] {
  return tf.tidy(() => Array.from(method.apply(tf.tensor2d(rows)).dataSync()));
}

/** `‖got − expected‖∞ / max(‖expected‖∞, floor)`: the error relative to the output's size. */
export function relativeError(got: number[], expected: number[], floor: number): number {
  const size = Math.max(floor, ...expected.map(Math.abs));
  return Math.max(0, ...got.map((g, i) => Math.abs(g - expected[i]))) / size;
}

/** The largest absolute entry of rows. */
export function maxAbs(rows: Rows): number {
  return Math.max(...rows.map((row) => Math.max(...row.map(Math.abs))));
}
