/**
 * The training methods the MultiMNIST demo can compare, by command-line name. Aggregators train
 * by Jacobian descent through the library's `mtlGrads`; scalarizers by ordinary gradient descent
 * on `scalarizer.apply(losses)` with `tf.variableGrads`, their own parameters (if any) trained
 * alongside the model's.
 */
import * as tf from '@tensorflow/tfjs';
import {
  AlignedMTL,
  Aggregator,
  CAGrad,
  ConFIG,
  DBMTL,
  DualProj,
  ExcessMTL,
  FairGrad,
  GradDrop,
  GradNorm,
  GradVac,
  IMTL,
  IMTLG,
  Mean,
  MGDA,
  MoCo,
  mtlGrads,
  NashMTL,
  PCGrad,
  Random,
  scalarization,
  Sum,
  UPGrad,
} from '../../lib';

/** A forward pass returning the shared features and one scalar loss per task. */
export type ForwardFn = () => { features: tf.Tensor; losses: tf.Scalar[] };

/** One way of turning the tasks' losses into a parameter update. */
export interface TrainingMethod {
  /** Display name, e.g. `UPGrad`. */
  readonly label: string;
  /**
   * Runs `forward` on one batch, updates `variables` (and the method's own parameters) with
   * `optimizer`, and returns the tasks' losses before the step.
   */
  step(forward: ForwardFn, variables: tf.Variable[], optimizer: tf.Optimizer): number[];
  /** Called after each epoch (DWA closes its epoch here). */
  endEpoch(): void;
  /** Frees what the method owns. */
  dispose(): void;
}

/** Jacobian descent: the shared trunk gets the aggregation of the tasks' gradients. */
class AggregatorMethod implements TrainingMethod {
  constructor(
    readonly label: string,
    private readonly aggregator: Aggregator,
  ) {}

  step(forward: ForwardFn, _variables: tf.Variable[], optimizer: tf.Optimizer): number[] {
    const { losses, grads } = mtlGrads(forward, { aggregator: this.aggregator });
    optimizer.applyGradients(grads);
    const values = losses.map((loss) => loss.dataSync()[0]);
    tf.dispose([losses, grads]);
    return values;
  }

  endEpoch(): void {}
  dispose(): void {}
}

/** Hooks the scalarizers that need more than `apply` (FAMO, DWA, the trainable ones). */
interface ScalarizerExtras {
  /** FAMO: re-evaluates the losses on the same batch after the step. */
  afterStep?: (lossesAfter: tf.Tensor1D) => void;
  endEpoch?: () => void;
  trainableVariables?: tf.Variable[];
  dispose?: () => void;
}

/** Gradient descent on one scalar made of the losses. */
class ScalarizerMethod implements TrainingMethod {
  constructor(
    readonly label: string,
    private readonly scalarizer: scalarization.Scalarizer,
    private readonly extras: ScalarizerExtras = {},
  ) {}

  step(forward: ForwardFn, variables: tf.Variable[], optimizer: tf.Optimizer): number[] {
    const kept: { taskLosses?: tf.Tensor1D } = {};
    const varList = [...variables, ...(this.extras.trainableVariables ?? [])];
    const { value, grads } = tf.variableGrads(() => {
      const losses = tf.stack(forward().losses) as tf.Tensor1D;
      // Kept out of variableGrads' tidy so the per-task values can be reported.
      kept.taskLosses = tf.keep(losses);
      return this.scalarizer.apply(losses);
    }, varList);
    optimizer.applyGradients(grads);
    const values = Array.from(kept.taskLosses!.dataSync());
    tf.dispose([value, grads, kept.taskLosses!]);
    if (this.extras.afterStep !== undefined) {
      const after = tf.tidy(() => tf.stack(forward().losses) as tf.Tensor1D);
      this.extras.afterStep(after);
      after.dispose();
    }
    return values;
  }

  endEpoch(): void {
    this.extras.endEpoch?.();
  }

  dispose(): void {
    this.extras.dispose?.();
  }
}

const TASKS = 2;

/** Command-line name → factory. Aggregators first, then scalarizers. */
export const METHODS: Record<string, (seed: number) => TrainingMethod> = {
  upgrad: () => new AggregatorMethod('UPGrad', new UPGrad()),
  mean: () => new AggregatorMethod('Mean', new Mean()),
  sum: () => new AggregatorMethod('Sum', new Sum()),
  mgda: () => new AggregatorMethod('MGDA', new MGDA()),
  dualproj: () => new AggregatorMethod('DualProj', new DualProj()),
  pcgrad: (seed) => new AggregatorMethod('PCGrad', new PCGrad({ seed })),
  cagrad: () => new AggregatorMethod('CAGrad(c=0.5)', new CAGrad({ c: 0.5 })),
  nashmtl: () => new AggregatorMethod('NashMTL', new NashMTL({ nTasks: TASKS })),
  imtlg: () => new AggregatorMethod('IMTLG', new IMTLG()),
  alignedmtl: () => new AggregatorMethod('AlignedMTL', new AlignedMTL()),
  config: () => new AggregatorMethod('ConFIG', new ConFIG()),
  graddrop: (seed) => new AggregatorMethod('GradDrop', new GradDrop({ seed })),
  gradvac: (seed) => new AggregatorMethod('GradVac', new GradVac({ seed })),
  fairgrad: () => new AggregatorMethod('FairGrad(α=1)', new FairGrad({ alpha: 1 })),
  excessmtl: () => new AggregatorMethod('ExcessMTL', new ExcessMTL()),
  gradnorm: () => new AggregatorMethod('GradNorm(α=1.5)', new GradNorm()),
  moco: () => new AggregatorMethod('MoCo', new MoCo()),
  dbmtl: () => new AggregatorMethod('DB-MTL', new DBMTL()),
  // The heads get the raw losses' gradients, not the paper's e^{sᵢ}-scaled ones: under Adam a
  // slowly varying factor on a head's gradient changes little (see the JSDoc of IMTL).
  imtl: () => new AggregatorMethod('IMTL', new IMTL()),
  random: (seed) => new AggregatorMethod('Random', new Random({ seed })),
  ls: () => new ScalarizerMethod('LS (mean loss)', new scalarization.Mean()),
  uw: () => {
    const uw = new scalarization.UW({ shape: TASKS });
    return new ScalarizerMethod('UW', uw, {
      trainableVariables: uw.trainableVariables,
      dispose: () => uw.dispose(),
    });
  },
  imtll: () => {
    const imtll = new scalarization.IMTLL({ shape: TASKS });
    return new ScalarizerMethod('IMTL-L', imtll, {
      trainableVariables: imtll.trainableVariables,
      dispose: () => imtll.dispose(),
    });
  },
  stch: () => new ScalarizerMethod('STCH(μ=0.5)', new scalarization.STCH({ mu: 0.5 })),
  geomean: () => new ScalarizerMethod('GeometricMean', new scalarization.GeometricMean()),
  dwa: () => {
    const dwa = new scalarization.DWA({ temperature: 2 });
    return new ScalarizerMethod('DWA', dwa, { endEpoch: () => dwa.step() });
  },
  famo: () => {
    const famo = new scalarization.FAMO({ shape: TASKS });
    return new ScalarizerMethod('FAMO', famo, { afterStep: (after) => famo.update(after) });
  },
  rlw: (seed) => new ScalarizerMethod('RLW', new scalarization.Random({ seed })),
};

/** Builds the method named `name`, or throws listing the known names. */
export function createMethod(name: string, seed: number): TrainingMethod {
  const factory = METHODS[name.toLowerCase()];
  if (factory === undefined) {
    throw new Error(`Unknown method '${name}'. Known: ${Object.keys(METHODS).join(', ')}.`);
  }
  return factory(seed);
}

/** One line per method for `--list`: what it does, in the words of its paper. */
export const METHOD_DESCRIPTIONS: Record<string, string> = {
  upgrad: "UPGrad: projects each task's gradient onto the dual cone of all of them, then averages",
  mean: 'Mean: the average of the task gradients (plain multi-task gradient descent)',
  sum: 'Sum: the sum of the task gradients',
  mgda: 'MGDA: the minimum-norm point of the convex hull of the task gradients',
  dualproj: 'DualProj: the mean gradient projected onto the dual cone of the task gradients',
  pcgrad: "PCGrad: removes each gradient's component that conflicts with another, in random order",
  cagrad: 'CAGrad (c = 0.5): the best worst-task improvement in a ball around the mean gradient',
  nashmtl: 'Nash-MTL: the Nash bargaining solution between the tasks',
  imtlg: 'IMTL-G: equal projections of the update on every unit task gradient',
  alignedmtl: 'Aligned-MTL: aligns the principal components of the task gradients',
  config: 'ConFIG: an update at equal angles with every task gradient',
  graddrop: 'GradDrop: randomly drops gradient entries whose signs disagree across tasks',
  gradvac: 'GradVac: steers gradient similarities toward moving targets',
  fairgrad: 'FairGrad (α = 1): α-fair allocation of the update between the tasks',
  excessmtl: "ExcessMTL: weights from each task's estimated excess risk",
  gradnorm: "GradNorm (α = 1.5): weights that pull each task's gradient norm to its training rate",
  moco: 'MoCo: tracked gradient estimates, corrected toward the current ones, weights on the simplex',
  dbmtl: 'DB-MTL: log-loss gradients, averaged and rescaled to the largest norm',
  imtl: 'IMTL: IMTL-G on gradients scaled by learned IMTL-L loss scales',
  random: 'Random: random positive weights for the task gradients, new at each step',
  ls: 'LS: linear scalarization, the mean of the losses (gradient descent on it)',
  uw: 'UW: uncertainty weighting, each loss scaled by a learned task variance',
  imtll: 'IMTL-L: learned loss scales that balance the tasks',
  stch: 'STCH (μ = 0.5): smooth Tchebycheff, a soft maximum of the losses',
  geomean: 'GeometricMean: the geometric mean of the losses',
  dwa: "DWA: dynamic weight average, weights from each loss's recent rate of descent",
  famo: 'FAMO: fast adaptive multitask optimization, weights that even out the loss decreases',
  rlw: 'RLW: random loss weighting, new random weights at each step',
};

/** Whether the method named `name` trains by Jacobian descent (an aggregator). */
export function isAggregator(name: string): boolean {
  const method = createMethod(name, 0);
  method.dispose();
  return method instanceof AggregatorMethod;
}

/** A method without a description line is listed by its display name. */
function displayName(name: string): string {
  const method = createMethod(name, 0);
  method.dispose();
  return method.label;
}

/** The `--list` text: the methods in two groups, one line each, with its command-line name. */
export function methodListing(): string {
  const width = Math.max(...Object.keys(METHODS).map((n) => n.length));
  const lines = (names: string[]) =>
    names.map((n) => `  ${n.padEnd(width)}  ${METHOD_DESCRIPTIONS[n] ?? displayName(n)}`);
  const names = Object.keys(METHODS);
  return [
    "Aggregators (Jacobian descent: the shared trunk gets the aggregation of the two tasks' gradients):",
    ...lines(names.filter(isAggregator)),
    '',
    'Scalarizers (gradient descent on one scalar made of the two losses):',
    ...lines(names.filter((n) => !isAggregator(n))),
  ].join('\n');
}
