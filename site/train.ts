/**
 * The page's training comparison: the same two-task model (the scalarization demo's problem: a
 * shared 8→16→4 ReLU trunk, one linear head per task, targets of 100× different scales that pull
 * the trunk apart) trained by Jacobian descent with three aggregators, one step each in turn.
 */
import * as tf from '@tensorflow/tfjs';
import { Aggregator, Mean, MGDA, mtlGrads, UPGrad, Weighting } from 'tfjs-jd';

const SAMPLES = 128;
const LEARNING_RATE = 0.01;

/** Seeded data: y₁ = x·a + x₀², y₂ = 10 (x·(c − a)). */
export function makeData() {
  return tf.tidy(() => {
    const x = tf.randomNormal([SAMPLES, 8], 0, 1, 'float32', 1);
    const a = tf.randomNormal([8, 1], 0, 1, 'float32', 2);
    const c = tf.randomNormal([8, 1], 0, 0.5, 'float32', 3);
    const y1 = tf.add(tf.matMul(x, a), tf.square(x.slice([0, 0], [-1, 1])));
    const y2 = tf.mul(10, tf.matMul(x, tf.sub(c, a)));
    return { x, y1, y2 };
  });
}
export type Data = ReturnType<typeof makeData>;

function makeModel() {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const trunk = tf.sequential({
    layers: [
      tf.layers.dense({
        inputShape: [8],
        units: 16,
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: init(2) }),
    ],
  });
  const heads = [3, 4].map((seed) =>
    tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 1, kernelInitializer: init(seed) })],
    }),
  );
  return { trunk, heads };
}

/** What one method has done so far. */
export interface MethodRecord {
  name: string;
  /** Loss of each task before each step. */
  losses: [number[], number[]];
  /** Cosine between the trunk's update and the mean of the tasks' trunk gradients, per step. */
  cosine: number[];
  /** The aggregator's weights per step (UPGrad's Gramian weighting), when it has them. */
  weights: [number[], number[]];
  /** Wall-clock milliseconds of each step (forward, Jacobian, aggregation, optimizer). */
  ms: number[];
}

/** One method being trained: its model, optimizer, aggregator and record. */
export class MethodRun {
  readonly record: MethodRecord;
  private readonly model = makeModel();
  private readonly optimizer = tf.train.adam(LEARNING_RATE);
  private pendingCosine = NaN;
  private pendingWeights: number[] | null = null;

  constructor(
    name: string,
    private readonly aggregator: Aggregator,
    private readonly data: Data,
    weighting?: Weighting,
  ) {
    this.record = { name, losses: [[], []], cosine: [], weights: [[], []], ms: [] };
    // The monitoring example's hooks: they read the Jacobian the aggregator sees.
    aggregator.registerForwardHook((_agg, [matrix], update) => {
      this.pendingCosine = tf.tidy(() => {
        const mean = tf.mean(matrix, 0);
        const norms = tf.mul(tf.norm(mean), tf.norm(update));
        return tf.divNoNan(tf.sum(tf.mul(mean, update)), norms).dataSync()[0];
      });
    });
    weighting?.registerForwardHook((_m, _i, w) => {
      this.pendingWeights = Array.from(w.dataSync());
    });
  }

  /** One full-batch step; resolves once its losses are read back. */
  async step(): Promise<void> {
    const started = performance.now();
    const { losses, grads } = mtlGrads(
      () => {
        const features = this.model.trunk.apply(this.data.x) as tf.Tensor;
        const taskLosses = [this.data.y1, this.data.y2].map((y, i) =>
          tf.losses.meanSquaredError(y, this.model.heads[i].apply(features) as tf.Tensor),
        ) as tf.Scalar[];
        return { features, losses: taskLosses };
      },
      { aggregator: this.aggregator },
    );
    // Adam's typing wants variables or a list; the gradients go as a list of named tensors.
    this.optimizer.applyGradients(
      Object.entries(grads).map(([name, tensor]) => ({ name, tensor })),
    );
    const values = await Promise.all(losses.map((l) => l.data()));
    tf.dispose([losses, grads]);
    this.record.ms.push(performance.now() - started);
    values.forEach((v, i) => this.record.losses[i].push(v[0]));
    this.record.cosine.push(this.pendingCosine);
    if (this.pendingWeights) {
      this.record.weights[0].push(this.pendingWeights[0]);
      this.record.weights[1].push(this.pendingWeights[1]);
    }
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.trunk.dispose();
    this.model.heads.forEach((h) => h.dispose());
  }
}

/** The three methods the page compares, on shared data. */
export function makeRuns(data: Data): MethodRun[] {
  return [
    (() => {
      const upgrad = new UPGrad();
      return new MethodRun('UPGrad', upgrad, data, upgrad.gramianWeighting);
    })(),
    new MethodRun('Mean', new Mean(), data),
    new MethodRun('MGDA', new MGDA(), data),
  ];
}

/** The JSON summary the page writes into `<pre id="summary">` once the steps are done. */
export function summary(runs: MethodRun[], backend: string, steps: number) {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  return {
    backend,
    steps,
    methods: Object.fromEntries(
      runs.map(({ record }) => [
        record.name,
        {
          backend,
          initialLosses: record.losses.map((l) => l[0]),
          finalLosses: record.losses.map((l) => l[l.length - 1]),
          // The first step compiles the backend's kernels (webgl: shaders); it is left out.
          msPerStep: mean(record.ms.slice(1)),
          firstStepMs: record.ms[0],
          finalCosine: record.cosine[record.cosine.length - 1],
          ...(record.weights[0].length > 0
            ? { finalWeights: record.weights.map((w) => w[w.length - 1]) }
            : {}),
        },
      ]),
    ),
  };
}
