/**
 * Scalarization versus Jacobian descent on a small two-task regression whose tasks conflict and
 * differ in scale by 100× (task 2's targets are 10× larger and partly opposed to task 1's).
 * The same model (a shared 8→16→4 ReLU trunk, one linear head per task, same seeded initial
 * weights) is trained three ways with Adam for the same number of full-batch steps:
 *   - Mean: gradient of the mean of the two losses (scalarization.Mean);
 *   - UW: uncertainty weighting, its log-variances trained with the model (scalarization.UW);
 *   - UPGrad: Jacobian descent on the trunk (mtlGrads with the UPGrad aggregator).
 * The loss curves of both tasks go to demos/out/scalarization.svg. UPGrad stays on the others'
 * plateau of task 2 for about 270 steps before leaving it, so the run is long enough to end well
 * after that, and the demo prints each loss's range over the last steps, not only its last value.
 *
 * Run: npx tsx demos/scalarization.ts
 */
import * as tf from '@tensorflow/tfjs';
import { mtlGrads, UPGrad, useFastestBackend, scalarization } from '../lib';
import { ProgressBar } from './common/progress';
import { writeChartSvg } from './common/chart_files';
import { scalarizationFigure, tailRange } from './common/figures';

const STEPS = 600;
const LEARNING_RATE = 0.01;
const SAMPLES = 128;
/** Steps at the end over which the demo reports each loss's range. */
const TAIL = 50;

type Model = ReturnType<typeof makeModel>;
type Curves = [number[], number[]];

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

/** Seeded data: y₁ = x·a + x₀², y₂ = 10 (x·b) with b = −a + c, so the tasks pull the trunk apart. */
function makeData() {
  return tf.tidy(() => {
    const x = tf.randomNormal([SAMPLES, 8], 0, 1, 'float32', 1);
    const a = tf.randomNormal([8, 1], 0, 1, 'float32', 2);
    const c = tf.randomNormal([8, 1], 0, 0.5, 'float32', 3);
    const square = tf.square(x.slice([0, 0], [-1, 1]));
    const y1 = tf.add(tf.matMul(x, a), square);
    const y2 = tf.mul(10, tf.matMul(x, tf.sub(c, a)));
    return { x, y1, y2 };
  });
}
type Data = ReturnType<typeof makeData>;

function forward(model: Model, data: Data) {
  const features = model.trunk.apply(data.x) as tf.Tensor;
  const losses = [data.y1, data.y2].map((y, i) =>
    tf.losses.meanSquaredError(y, model.heads[i].apply(features) as tf.Tensor),
  ) as tf.Scalar[];
  return { features, losses };
}

function variablesOf(model: Model): tf.Variable[] {
  return [model.trunk, ...model.heads].flatMap((m) =>
    m.trainableWeights.map((w) => w.read() as tf.Variable),
  );
}

/** Trains with the gradient of `scalarizer(stack(losses))`; `extra` variables are trained too. */
function trainScalarized(
  label: string,
  data: Data,
  scalarizer: scalarization.Scalarizer,
  extra: tf.Variable[] = [],
): Curves {
  const model = makeModel();
  const optimizer = tf.train.adam(LEARNING_RATE);
  const curves: Curves = [[], []];
  const bar = new ProgressBar(STEPS, label.padEnd(6));
  for (let step = 0; step < STEPS; step++) {
    optimizer.minimize(
      () => {
        const { losses } = forward(model, data);
        losses.forEach((loss, i) => curves[i].push(loss.dataSync()[0]));
        return scalarizer.apply(tf.stack(losses));
      },
      false,
      [...variablesOf(model), ...extra],
    );
    bar.tick(`loss1 ${curves[0][step].toFixed(3)}  loss2 ${curves[1][step].toFixed(3)}`);
  }
  bar.done();
  optimizer.dispose();
  return curves;
}

/** Trains with Jacobian descent: UPGrad on the trunk, each head on its own loss. */
function trainUPGrad(data: Data): Curves {
  const model = makeModel();
  const optimizer = tf.train.adam(LEARNING_RATE);
  const aggregator = new UPGrad();
  const curves: Curves = [[], []];
  const bar = new ProgressBar(STEPS, 'UPGrad');
  for (let step = 0; step < STEPS; step++) {
    const { losses, grads } = mtlGrads(() => forward(model, data), { aggregator });
    losses.forEach((loss, i) => curves[i].push(loss.dataSync()[0]));
    // Adam's typing wants variables or a list; the gradients go as a list of named tensors.
    optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose([losses, grads]);
    bar.tick(`loss1 ${curves[0][step].toFixed(3)}  loss2 ${curves[1][step].toFixed(3)}`);
  }
  bar.done();
  optimizer.dispose();
  return curves;
}

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  const backend = await useFastestBackend();
  console.log(`tfjs-jd scalarization demo — backend: ${backend}`);
  console.log(
    `${STEPS} full-batch Adam steps (lr ${LEARNING_RATE}) per method, same initial weights\n`,
  );
  const data = makeData();

  const mean = trainScalarized('Mean', data, new scalarization.Mean());
  const uw = new scalarization.UW({ shape: 2 });
  const uncertainty = trainScalarized('UW', data, uw, uw.trainableVariables);
  const variances = Array.from(uw.logVar.dataSync(), Math.exp);
  uw.dispose();
  const upgrad = trainUPGrad(data);

  const results: [string, Curves][] = [
    ['Mean', mean],
    ['UW', uncertainty],
    ['UPGrad', upgrad],
  ];
  // The last step alone can mislead: a curve that oscillates ends wherever the run stops. The
  // range over the last TAIL steps says how much.
  const range = (c: number[]) => tailRange(c, TAIL);
  console.log(
    `\nloss per task: at step 0 → at step ${STEPS}, and [lowest–highest over steps ${STEPS - TAIL + 1}–${STEPS}]`,
  );
  console.log('method  | task 1                          | task 2');
  for (const [name, curves] of results) {
    const cell = (c: number[]) =>
      `${c[0].toFixed(3)} → ${c[c.length - 1].toFixed(3)} [${range(c)}]`;
    console.log(`${name.padEnd(7)} | ${cell(curves[0]).padEnd(31)} | ${cell(curves[1])}`);
  }
  console.log(`UW's learned variances σ² = [${variances.map((v) => v.toFixed(3)).join(', ')}]`);
  // All three sit on the same plateau of task 2 for a while; a run stopped before UPGrad leaves
  // it shows no difference, and one stopped during its fall shows any number in between.
  const escape = upgrad[1].findIndex((loss, i) => loss < 0.5 * mean[1][i]) + 1;
  const escapeText =
    escape > 0
      ? `UPGrad's task-2 loss falls below half of Mean's at step ${escape}`
      : `UPGrad's task-2 loss stays within half of Mean's for all ${STEPS} steps`;
  console.log(`${escapeText}; before that the three methods are close.`);

  const file = await writeChartSvg(
    'demos/out/scalarization.svg',
    scalarizationFigure(
      results.map(([name, curves]) => ({ name, curves })),
      { tail: TAIL, escape: escapeText, backend, learningRate: LEARNING_RATE },
    ),
  );
  console.log(`Loss curves: ${file}`);
  tf.dispose(data);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
