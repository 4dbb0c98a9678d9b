/**
 * After `engine.computeGramian(losses)`, `backward(losses, { gradient })` (and `grad` with
 * `gradOutputs`) finishes from the per-instance output gradients the Gramian pass kept, instead of
 * walking the graph again: it must give exactly what the walk gives, keep the walk's semantics
 * (accumulation, retainGraph, freed graphs, `inputs`), and be taken only where it is exact.
 */
import * as tf from '@tensorflow/tfjs';
import {
  backward,
  disposeGraph,
  grad,
  gradOf,
  GraphFreedError,
  record,
  zeroGrad,
} from '../../lib/autograd';
import { Engine } from '../../lib/autogram';
import { embeddingModel } from './_models';

const init = (seed: number) => tf.initializers.glorotNormal({ seed });

/** Conv2D(relu, bias) → Flatten → LayerNormalization → Dense(relu) → Dense. */
function convModel(activation: 'relu' | 'linear' = 'relu'): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [5, 5, 2],
        filters: 3,
        kernelSize: 3,
        activation,
        kernelInitializer: init(1),
        biasInitializer: tf.initializers.randomNormal({ seed: 9 }),
      }),
      tf.layers.flatten(),
      tf.layers.layerNormalization(),
      tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 2, kernelInitializer: init(3) }),
    ],
  });
}

interface Case {
  name: string;
  model: () => tf.LayersModel;
  input: () => tf.Tensor;
  /** The losses from the model's output: [b] or [b, t]. */
  losses: (output: tf.Tensor) => tf.Tensor;
}

const CASES: Case[] = [
  {
    name: 'Conv2D + LayerNormalization + Dense, losses [b]',
    model: () => convModel(),
    input: () => tf.randomNormal([3, 5, 5, 2], 0, 1, 'float32', 21),
    losses: (out) => tf.sum(tf.square(out), 1),
  },
  {
    name: 'linear Conv2D (fused kernel) + Dense, losses [b, t]',
    model: () => convModel('linear'),
    input: () => tf.randomNormal([3, 5, 5, 2], 0, 1, 'float32', 22),
    losses: (out) => tf.square(out),
  },
  {
    name: 'Embedding + Dense, repeated indices',
    model: () => embeddingModel(2, 'tanh'),
    input: () =>
      tf.tensor2d(
        [
          [0, 1, 1, 5],
          [2, 0, 3, 0],
          [4, 4, 4, 1],
        ],
        [3, 4],
        'int32',
      ),
    losses: (out) => tf.sum(tf.square(tf.sub(out, 0.3)), 1),
  },
];

/** The `.grad` of each variable, flattened, read and cleared. */
function takeGrads(vars: tf.Variable[]): number[] {
  const values = vars.flatMap((v) => Array.from(gradOf(v)?.dataSync() ?? []));
  zeroGrad(vars);
  return values;
}

function expectClose(actual: number[], expected: number[], rtol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  expect(scale).toBeGreaterThan(0);
  actual.forEach((a, k) => expect(Math.abs(a - expected[k])).toBeLessThanOrEqual(rtol * scale));
}

/** The number of kernels `fn` runs. */
async function kernelCount(fn: () => void): Promise<number> {
  return (await tf.profile(fn)).kernels.length;
}

describe.each(CASES)('$name', ({ model: makeModel, input, losses: lossesOf }) => {
  let model: tf.LayersModel;
  let x: tf.Tensor;
  let engine: Engine;
  let vars: tf.Variable[];
  let seed: tf.Tensor;
  const forward = () => record(() => lossesOf(model.apply(x) as tf.Tensor));

  beforeAll(() => {
    model = makeModel();
    x = input();
    engine = new Engine(model);
    vars = engine.weights();
    const shape = tf.tidy(() => lossesOf(model.apply(x) as tf.Tensor).shape);
    seed = tf.randomUniform(shape, -1, 2, 'float32', 3);
  });
  afterAll(() => {
    tf.dispose([x, seed]);
    model.dispose();
  });

  /** The weighted gradient by a plain backward walk (no Gramian pass before it). */
  function walked(): number[] {
    const losses = forward();
    backward(losses, { gradient: seed });
    losses.dispose();
    return takeGrads(vars);
  }

  it('every weight takes a closed form, so the shortcut covers them all', () => {
    const losses = forward();
    expect(Object.values(engine.rulesFor(losses))).not.toContain('fallback');
    disposeGraph(losses);
    losses.dispose();
  });

  it('backward after computeGramian gives the walk’s gradients, with fewer kernels', async () => {
    const expected = walked();
    const plainKernels = await kernelCount(() => {
      const losses = forward();
      const G = tf.tidy(() => tf.zeros([1]));
      backward(losses, { gradient: seed });
      tf.dispose([losses, G]);
    });
    zeroGrad(vars);
    let shortcutKernels = 0;
    const losses = forward();
    const G = engine.computeGramian(losses);
    shortcutKernels = await kernelCount(() => backward(losses, { gradient: seed }));
    expectClose(takeGrads(vars), expected);
    // The walk also runs the forward pass here; the shortcut is a fraction of the walk alone.
    expect(shortcutKernels).toBeLessThan(plainKernels / 2);
    // Without retainGraph the graph was freed, as by the walk.
    expect(() => backward(losses, { gradient: seed })).toThrow(GraphFreedError);
    tf.dispose([losses, G]);
  });

  it('accumulates into .grad like the walk, and keeps the graph with retainGraph', () => {
    const expected = walked();
    const losses = forward();
    const G = engine.computeGramian(losses);
    backward(losses, { gradient: seed, retainGraph: true });
    backward(losses, { gradient: seed });
    expectClose(
      takeGrads(vars),
      expected.map((g) => 2 * g),
    );
    tf.dispose([losses, G]);
  });

  it('restricted to some inputs, it fills only theirs', () => {
    const expected = walked();
    const losses = forward();
    const G = engine.computeGramian(losses);
    const some = [vars[0], vars[vars.length - 1]];
    backward(losses, { gradient: seed, inputs: some });
    expect(vars.filter((v) => gradOf(v) !== null)).toEqual(some);
    const sizes = vars.map((v) => v.size);
    const offset = (k: number) => sizes.slice(0, k).reduce((a, b) => a + b, 0);
    const actual = some.flatMap((v) => Array.from(gradOf(v)!.dataSync()));
    zeroGrad(vars);
    const last = vars.length - 1;
    expectClose(actual, [
      ...expected.slice(0, sizes[0]),
      ...expected.slice(offset(last), offset(last) + sizes[last]),
    ]);
    tf.dispose([losses, G]);
  });

  it('grad with gradOutputs gives the same gradients, and accumulates nothing', () => {
    const expected = walked();
    const losses = forward();
    const G = engine.computeGramian(losses);
    const grads = grad(losses, vars, { gradOutputs: seed });
    expect(vars.every((v) => gradOf(v) === null)).toBe(true);
    expectClose(
      grads.flatMap((g) => Array.from(g.dataSync())),
      expected,
    );
    tf.dispose([losses, G, grads]);
  });

  it('a full step leaks no tensor, with or without the backward, inside tf.tidy or not', () => {
    const step = (withBackward: boolean) => {
      const losses = forward();
      const G = tf.tidy(() => engine.computeGramian(losses));
      if (withBackward) backward(losses, { gradient: seed });
      zeroGrad(vars);
      tf.dispose([losses, G]);
    };
    for (let i = 0; i < 3; i++) step(i % 2 === 0);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) step(i % 2 === 0);
    // A graph whose losses were disposed is freed at the next record, its shortcut with it.
    tf.dispose(forward());
    step(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('where the shortcut does not apply, the walk runs', () => {
  it('losses that also reach a variable outside the engine', async () => {
    const model = convModel();
    const x = tf.randomNormal([3, 5, 5, 2], 0, 1, 'float32', 31);
    const scale = tf.variable(tf.tensor1d([0.5, -2]));
    const engine = new Engine(model);
    const vars = [...engine.weights(), scale];
    const seed = tf.tensor1d([1, -0.5, 2]);
    const forward = () =>
      record(() => tf.sum(tf.mul(tf.square(model.apply(x) as tf.Tensor), scale), 1));
    const plain = forward();
    backward(plain, { gradient: seed });
    const expected = takeGrads(vars);
    plain.dispose();

    const losses = forward();
    const G = engine.computeGramian(losses);
    const kernels = await kernelCount(() => backward(losses, { gradient: seed }));
    expectClose(takeGrads(vars), expected);
    // The walk through Conv2D, LayerNormalization and two Dense layers: far more than the shortcut.
    expect(kernels).toBeGreaterThan(30);
    tf.dispose([losses, G, x, seed, scale]);
    model.dispose();
  });

  it('a backward from another tensor of the same graph', () => {
    const model = convModel();
    const x = tf.randomNormal([3, 5, 5, 2], 0, 1, 'float32', 32);
    const engine = new Engine(model);
    const vars = engine.weights();
    const { losses, mean } = record(() => {
      const l = tf.sum(tf.square(model.apply(x) as tf.Tensor), 1);
      return { losses: l, mean: tf.mean(l) };
    });
    const G = engine.computeGramian(losses);
    backward(mean, { retainGraph: true });
    const viaMean = takeGrads(vars);
    backward(losses, { gradient: tf.fill([3], 1 / 3) });
    expectClose(takeGrads(vars), viaMean);
    tf.dispose([losses, mean, G, x]);
    model.dispose();
  });
});
