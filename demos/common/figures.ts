/**
 * The demos' pictures, as Vega-Lite specs built from their results: one function per demo, kept
 * apart from the training code so a spec can check each picture's title, axes and series.
 */
import { TopLevelSpec } from 'vega-lite';
import { chartPanels, LineChart, mergeIdentical } from './charts';

/** Per-task losses after each epoch, `[task1, task2]`; index 0 is before training. */
export type EpochLosses = [number, number][];

/**
 * basic_mtl: each task's loss per epoch for the two UPGrad runs (TorchJD-style, tfjs-style) and
 * gradient descent on the summed loss. Epoch 0 (the untrained model, the same for all) is stated,
 * not drawn: it would set the y range and flatten every later epoch.
 */
export function basicMtlFigure(
  runs: { torchjd: EpochLosses; tfjs: EpochLosses; summed: EpochLosses },
  backend: string,
): TopLevelSpec {
  const epochs = runs.torchjd.length - 1;
  const xValues = Array.from({ length: epochs }, (_, i) => i + 1);
  const after = (curve: EpochLosses, task: number) => curve.slice(1).map((l) => l[task]);
  return chartPanels(
    [0, 1].map((task) => ({
      title: `Task ${task + 1} loss`,
      subtitle: `mean over the 8 batches after each epoch; before training: ${runs.torchjd[0][task].toFixed(3)}`,
      xLabel: 'epoch',
      yLabel: 'loss (mean squared error)',
      integerX: true,
      xValues,
      // The two UPGrad runs compute the same thing: merged, they are one curve named "A = B".
      series: mergeIdentical([
        { name: 'UPGrad (mtlBackward)', values: after(runs.torchjd, task) },
        { name: 'UPGrad (mtlGrads)', values: after(runs.tfjs, task) },
        { name: 'GD on loss1 + loss2', values: after(runs.summed, task) },
      ]),
    })),
    { title: `Two-task regression, ${epochs} epochs of SGD 0.1 (backend ${backend})`, columns: 2 },
  );
}

/** One method's loss per step, `[task1, task2]`. */
export interface StepCurves {
  name: string;
  curves: [number[], number[]];
}

/** Lowest and highest value over the last `tail` entries, printed as `lo–hi`. */
export function tailRange(curve: number[], tail: number): string {
  const last = curve.slice(-tail);
  return `${Math.min(...last).toFixed(3)}–${Math.max(...last).toFixed(3)}`;
}

/**
 * scalarization: each task's loss per step, log scale, with the range of each method's loss over
 * the last `tail` steps and a note (`escape`) on when UPGrad leaves the others' plateau.
 */
export function scalarizationFigure(
  results: StepCurves[],
  options: { tail: number; escape: string; backend: string; learningRate: number },
): TopLevelSpec {
  const steps = results[0]?.curves[0].length ?? 0;
  const xValues = Array.from({ length: steps }, (_, i) => i + 1);
  const targets = [
    'targets x·a + x₀²',
    'targets 10·x·(c − a): 100× the scale of task 1, partly opposed to it',
  ];
  return chartPanels(
    [0, 1].map((task): LineChart => ({
      title: `Task ${task + 1} loss`,
      subtitle: [
        targets[task],
        ...(task === 1 ? [options.escape] : []),
        `over the last ${options.tail} steps: ` +
          results.map((r) => `${r.name} ${tailRange(r.curves[task], options.tail)}`).join(', '),
      ],
      xLabel: `step (full-batch Adam, lr ${options.learningRate})`,
      yLabel: 'loss (mean squared error, log scale)',
      integerX: true,
      logY: true,
      xValues,
      series: mergeIdentical(results.map((r) => ({ name: r.name, values: r.curves[task] }))),
    })),
    {
      title: `Scalarization (Mean, UW) against Jacobian descent (UPGrad), backend ${options.backend}`,
      columns: 2,
    },
  );
}

/** What the MultiMNIST figure needs of one run: per epoch (0 = untrained) its results. */
export interface MultiMnistRun {
  label: string;
  epochs: { epoch: number; trainLoss: [number, number]; testAccuracy: [number, number] }[];
}

/** The MultiMNIST run's settings, for the figure's title. */
export interface MultiMnistSettings {
  trainPairs: number;
  testPairs: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * MultiMNIST: test accuracy and training loss of each digit per epoch, from epoch 1. Epoch 0
 * (the untrained network, about 10% for every method) would stretch the accuracy axis until the
 * methods could not be told apart, so the subtitle states it instead. A one-epoch run (`--quick`)
 * is one point per method.
 */
export function multiMnistFigure(
  runs: MultiMnistRun[],
  settings: MultiMnistSettings,
  backend: string,
): TopLevelSpec {
  const trained = (run: MultiMnistRun) => run.epochs.filter((e) => e.epoch > 0);
  const xValues = trained(runs[0]).map((e) => e.epoch);
  const untrained = (task: number) =>
    'before training (epoch 0): ' +
    runs.map((r) => `${r.label} ${percent(r.epochs[0].testAccuracy[task])}`).join(', ');
  const digits = ['Left digit', 'Right digit'];
  // Over several epochs the first epoch's loss is several times the last ones: a log axis keeps
  // the later epochs apart. A one-epoch run has nothing to gain from it.
  const losses = runs.flatMap((r) => trained(r).flatMap((e) => e.trainLoss));
  const logLoss = Math.max(...losses) > 2 * Math.min(...losses);
  const panel = (task: number, kind: 'accuracy' | 'loss'): LineChart => ({
    title: `${digits[task]}: ${kind === 'accuracy' ? 'test accuracy' : 'training loss'}`,
    subtitle:
      kind === 'accuracy'
        ? [`${settings.testPairs} test pairs, after each epoch`, untrained(task)]
        : ['mean over the epoch of the loss before each step'],
    xLabel: 'epoch',
    yLabel:
      kind === 'accuracy'
        ? 'test accuracy (%)'
        : `training loss (cross-entropy, nats${logLoss ? ', log scale' : ''})`,
    logY: kind === 'loss' && logLoss,
    integerX: true,
    xValues,
    series: mergeIdentical(
      runs.map((run) => ({
        name: run.label,
        values: trained(run).map((e) =>
          kind === 'accuracy' ? 100 * e.testAccuracy[task] : e.trainLoss[task],
        ),
      })),
    ),
  });
  const s = settings;
  return chartPanels(
    [panel(0, 'accuracy'), panel(1, 'accuracy'), panel(0, 'loss'), panel(1, 'loss')],
    {
      title:
        `MultiMNIST: ${s.trainPairs} train pairs, ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}, ` +
        `batch ${s.batchSize}, Adam ${s.learningRate}, seed ${s.seed} (backend ${backend})`,
      columns: 2,
    },
  );
}
