/**
 * The autogram Engine against an independent reference: per-instance gradients from
 * tf.variableGrads (one fresh forward and backward per loss element, no autograd involved), stacked
 * into J, then JJᵀ in float64 in the spec.
 */
import * as tf from '@tensorflow/tfjs';
import { backward, disposeGraph, gradOf, record, zeroGrad } from '../../lib/autograd';
import { Engine } from '../../lib/autogram';
import { embeddingModel } from './_models';
import { InvalidArgumentError, NotRecordedError } from '../../lib/errors';

type Model = tf.LayersModel;

/** J (rows = loss elements, row-major) by one tf.variableGrads per element. */
function bruteJacobian(lossesFn: () => tf.Tensor, vars: tf.Variable[]): number[][] {
  const m = tf.tidy(() => lossesFn().size);
  const rows: number[][] = [];
  for (let r = 0; r < m; r++) {
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.gather(tf.reshape(lossesFn(), [-1]), [r])) as tf.Scalar,
      vars,
    );
    rows.push(vars.flatMap((v) => Array.from(grads[v.name].dataSync())));
    value.dispose();
    tf.dispose(grads);
  }
  return rows;
}

function gramOf(J: number[][]): number[][] {
  return J.map((a) => J.map((b) => a.reduce((s, x, k) => s + x * b[k], 0)));
}

function expectClose(actual: number[][], expected: number[][], rtol = 1e-4): void {
  const scale = Math.max(...expected.flat().map(Math.abs));
  expect(scale).toBeGreaterThan(0);
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) =>
    row.forEach((x, j) => expect(Math.abs(x - expected[i][j])).toBeLessThanOrEqual(rtol * scale)),
  );
}

function seeded(seed: number) {
  return tf.initializers.glorotNormal({ seed });
}

/**
 * Conv2D(relu) → Flatten → LayerNormalization → Dense(relu) → BatchNormalization (inference,
 * fallback) → Dense(tanh) → Dense.
 */
function mixedModel(): Model {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [5, 5, 2],
        filters: 3,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: seeded(1),
        biasInitializer: tf.initializers.randomNormal({ seed: 9 }),
      }),
      tf.layers.flatten(),
      tf.layers.layerNormalization(),
      tf.layers.dense({ units: 4, activation: 'relu', kernelInitializer: seeded(2) }),
      // Inference mode (model.apply's default): no fast rule, the exact fallback.
      tf.layers.batchNormalization({
        gammaInitializer: tf.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: 10 }),
      }),
      tf.layers.dense({ units: 3, activation: 'tanh', kernelInitializer: seeded(3) }),
      tf.layers.dense({ units: 2, kernelInitializer: seeded(4) }),
    ],
  });
}

function engineGramian(engine: Engine, lossesFn: () => tf.Tensor): number[][] {
  const losses = record(lossesFn);
  const G = engine.computeGramian(losses);
  const values = G.arraySync() as number[][];
  G.dispose();
  disposeGraph(losses);
  losses.dispose();
  return values;
}

describe('Engine.computeGramian equals JJᵀ', () => {
  const x = tf.randomNormal([4, 5, 5, 2], 0, 1, 'float32', 11);
  const y = tf.randomNormal([4, 2], 0, 1, 'float32', 12);
  afterAll(() => tf.dispose([x, y]));

  it('on a model mixing Conv2D, LayerNormalization, relu/tanh/linear Dense and a fallback layer', () => {
    const model = mixedModel();
    const lossesFn = () =>
      tf.sum(tf.squaredDifference(model.apply(x) as tf.Tensor, y), 1) as tf.Tensor;
    const engine = new Engine(model);
    const expected = gramOf(bruteJacobian(lossesFn, engine.weights()));
    expectClose(engineGramian(engine, lossesFn), expected);
    expect(engine.weights().length).toBe(12);
    const losses = record(lossesFn);
    const rules = engine.rulesFor(losses);
    expect(engine.weights().map((w) => rules[w.name])).toEqual([
      'conv2d',
      'bias',
      'broadcast',
      'broadcast',
      'dense',
      'bias',
      'fallback',
      'fallback',
      'dense',
      'bias',
      'dense',
      'bias',
    ]);
    disposeGraph(losses);
    losses.dispose();
  });

  it('for a matrix of losses, flattened row-major as TorchJD ≥ 0.12 ([b, t] → [bt, bt])', () => {
    const model = mixedModel();
    const lossesFn = () => tf.square(tf.sub(model.apply(x) as tf.Tensor, y));
    const engine = new Engine(model);
    const expected = gramOf(bruteJacobian(lossesFn, engine.weights()));
    const actual = engineGramian(engine, lossesFn);
    expect(actual.length).toBe(8);
    expectClose(actual, expected);
  });

  it('on an Embedding model, with repeated indices within and across instances', () => {
    const model = embeddingModel();
    const indices = tf.tensor2d(
      [
        [0, 1, 1, 2],
        [2, 3, 0, 0],
        [5, 5, 5, 5],
      ],
      [3, 4],
      'int32',
    );
    const lossesFn = () => tf.reshape(tf.square(model.apply(indices) as tf.Tensor), [-1]);
    const engine = new Engine(model);
    const expected = gramOf(bruteJacobian(lossesFn, engine.weights()));
    expectClose(engineGramian(engine, lossesFn), expected);
    const losses = record(lossesFn);
    expect(Object.values(engine.rulesFor(losses))).toEqual(['embedding', 'dense', 'bias']);
    disposeGraph(losses);
    losses.dispose();
    indices.dispose();
  });

  it('for a list of layers: only their weights count', () => {
    const model = mixedModel();
    const lastTwo = model.layers.slice(-2);
    const lossesFn = () =>
      tf.sum(tf.squaredDifference(model.apply(x) as tf.Tensor, y), 1) as tf.Tensor;
    const engine = new Engine(lastTwo);
    expect(engine.weights().length).toBe(4);
    const expected = gramOf(bruteJacobian(lossesFn, engine.weights()));
    expectClose(engineGramian(engine, lossesFn), expected);
  });

  it('on a linear Conv2D (fused kernel, config from the layer) and a sigmoid Dense, with an unused head', () => {
    const conv = tf.layers.conv2d({ filters: 2, kernelSize: 2, strides: 2, padding: 'same' });
    const dense = tf.layers.dense({ units: 2, activation: 'sigmoid' });
    const unused = tf.layers.dense({ units: 3 });
    const input = tf.randomNormal([3, 4, 4, 1], 0, 1, 'float32', 14);
    const lossesFn = () => {
      const features = tf.layers.flatten().apply(conv.apply(input)) as tf.Tensor;
      unused.apply(features);
      return tf.sum(tf.square(dense.apply(features) as tf.Tensor), 1);
    };
    tf.tidy(lossesFn); // builds the layers
    const engine = new Engine([conv, dense, unused]);
    const variableOf = (w: { read(): tf.Tensor }) => w.read() as tf.Variable;
    const used = [...conv.trainableWeights, ...dense.trainableWeights].map(variableOf);
    const expected = gramOf(bruteJacobian(lossesFn, used));
    expectClose(engineGramian(engine, lossesFn), expected);
    const losses = record(lossesFn);
    expect(engine.rulesFor(losses)).toEqual({
      [used[0].name]: 'conv2d',
      [used[1].name]: 'bias',
      [used[2].name]: 'dense',
      [used[3].name]: 'bias',
    });
    disposeGraph(losses);
    tf.dispose([losses, input]);
  });

  it('with BatchNormalization in inference mode (exact, through the fallback)', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 4, kernelInitializer: seeded(7) }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 1, kernelInitializer: seeded(8) }),
      ],
    });
    const input = tf.randomNormal([5, 3], 0, 1, 'float32', 13);
    const lossesFn = () =>
      tf.reshape(tf.square(model.apply(input, { training: false }) as tf.Tensor), [-1]);
    const engine = new Engine(model);
    const expected = gramOf(bruteJacobian(lossesFn, engine.weights()));
    expectClose(engineGramian(engine, lossesFn), expected);
    const losses = record(lossesFn);
    const rules = engine.rulesFor(losses);
    expect(engine.weights().map((w) => rules[w.name])).toEqual([
      'dense',
      'bias',
      'fallback',
      'fallback',
      'dense',
      'bias',
    ]);
    disposeGraph(losses);
    losses.dispose();
    input.dispose();
  });
});

describe('the weighted backward after computeGramian', () => {
  it('accumulates Σ w_i ∇L_i, the gradient of the explicit Jacobian combined by the weights', () => {
    const model = mixedModel();
    const x = tf.randomNormal([3, 5, 5, 2], 0, 1, 'float32', 21);
    const lossesFn = () => tf.sum(tf.square(model.apply(x) as tf.Tensor), 1) as tf.Tensor;
    const engine = new Engine(model);
    const vars = engine.weights();
    const J = bruteJacobian(lossesFn, vars);
    const w = [0.5, -1, 2];
    const expected = J[0].map((_, k) => J.reduce((s, row, i) => s + w[i] * row[k], 0));

    zeroGrad(vars);
    const losses = record(lossesFn);
    const G = engine.computeGramian(losses);
    const weights = tf.tensor1d(w);
    backward(losses, { gradient: weights });
    const actual = vars.flatMap((v) => Array.from(gradOf(v)!.dataSync()));
    const scale = Math.max(...expected.map(Math.abs));
    actual.forEach((a, k) => expect(Math.abs(a - expected[k])).toBeLessThanOrEqual(1e-4 * scale));
    zeroGrad(vars);
    tf.dispose([G, weights, losses, x]);
  });
});

describe('instances that are not independent', () => {
  it('BatchNormalization in training mode throws InvalidArgumentError naming losses', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 4 }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 1 }),
      ],
    });
    const x = tf.randomNormal([5, 3]);
    const losses = record(() => tf.reshape(model.apply(x, { training: true }) as tf.Tensor, [-1]));
    const engine = new Engine(model);
    expect(() => engine.computeGramian(losses)).toThrow(InvalidArgumentError);
    expect(() => engine.computeGramian(losses)).toThrow(/reduces over the batch axis/);
    disposeGraph(losses);
    tf.dispose([losses, x]);
  });
});

describe('bad input', () => {
  const model = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });

  it('losses not recorded → NotRecordedError', () => {
    const m = model();
    const losses = tf.reshape(m.apply(tf.ones([3, 2])) as tf.Tensor, [-1]);
    expect(() => new Engine(m).computeGramian(losses)).toThrow(NotRecordedError);
    losses.dispose();
  });

  it('batchDim other than 0 or null → InvalidArgumentError naming batchDim', () => {
    expect(() => new Engine(model(), { batchDim: 1 })).toThrow(/`batchDim`/);
    expect(() => new Engine(model(), { batchDim: 'x' as never })).toThrow(/`batchDim`/);
  });

  it('no trainable weights → InvalidArgumentError naming modelOrLayers', () => {
    const frozen = model();
    frozen.trainable = false;
    expect(() => new Engine(frozen)).toThrow(/`modelOrLayers`/);
    const flatten = tf.layers.flatten();
    const losses = record(() => tf.sum(flatten.apply(tf.ones([3, 2, 2])) as tf.Tensor, 1));
    expect(() => new Engine([flatten]).computeGramian(losses)).toThrow(/`modelOrLayers`/);
    disposeGraph(losses);
    losses.dispose();
    expect(() => new Engine([])).toThrow(/`modelOrLayers`/);
  });
});

describe('TorchJD semantics: batchDim null, scalar output, batch-mixing layers', () => {
  /** Dense → BatchNormalization → Dense, deterministic. */
  function bnModel(): Model {
    return tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 4, kernelInitializer: seeded(7) }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 2, kernelInitializer: seeded(8) }),
      ],
    });
  }
  const vars = (m: Model) => m.trainableWeights.map((w) => w.read() as tf.Variable);

  it('batchDim: null is exact when BatchNormalization in training mode couples the instances', () => {
    const model = bnModel();
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 3);
    const lossesFn = () => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor), 1);
    const expected = gramOf(bruteJacobian(lossesFn, vars(model)));
    const engine = new Engine(model, { batchDim: null });
    expect(engine.batchDim).toBeNull();
    expect(engine.batchMixingLayers).toEqual([]);
    const losses = record(lossesFn);
    const before = tf.memory().numTensors;
    const G = engine.computeGramian(losses);
    expect(tf.memory().numTensors).toBe(before + 1);
    expectClose(G.arraySync() as number[][], expected);
    expect(Object.values(engine.rulesFor(losses))).toEqual(vars(model).map(() => 'fallback'));
    // The graph is kept for the weighted backward pass, as with batchDim 0.
    backward(losses, { gradient: tf.onesLike(losses) });
    expect(gradOf(vars(model)[0])).not.toBeNull();
    zeroGrad();
    tf.dispose([G, losses, x]);
  });

  it('batchDim: null takes losses of any shape, a matrix included (flattened row-major)', () => {
    const model = bnModel();
    const x = tf.randomNormal([3, 3], 0, 1, 'float32', 4);
    const lossesFn = () => tf.square(model.apply(x, { training: true }) as tf.Tensor); // [3, 2]
    const expected = gramOf(bruteJacobian(lossesFn, vars(model)));
    const losses = record(lossesFn);
    const G = new Engine(model, { batchDim: null }).computeGramian(losses);
    expect(G.shape).toEqual([6, 6]);
    expectClose(G.arraySync() as number[][], expected);
    disposeGraph(losses);
    tf.dispose([G, losses, x]);
  });

  it.each([0, null] as const)(
    'a scalar output gives the 1 × 1 Gramian ‖∇ℓ‖² (batchDim %p)',
    (batchDim) => {
      const model = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [2], units: 3, kernelInitializer: seeded(9) })],
      });
      const x = tf.tensor2d([
        [1, -2],
        [0.5, 3],
      ]);
      const lossFn = () => tf.sum(tf.square(model.apply(x) as tf.Tensor));
      const [row] = bruteJacobian(lossFn, vars(model));
      const loss = record(lossFn);
      const G = new Engine(model, { batchDim }).computeGramian(loss);
      expect(G.shape).toEqual([1, 1]);
      const squaredNorm = row.reduce((s, v) => s + v * v, 0);
      expect(Math.abs(G.arraySync()[0][0] - squaredNorm)).toBeLessThanOrEqual(1e-4 * squaredNorm);
      disposeGraph(loss);
      tf.dispose([G, loss, x]);
    },
  );

  it('BatchNormalization layers are found when the engine is built, and named when they mix', () => {
    const model = bnModel();
    const engine = new Engine(model);
    expect(engine.batchMixingLayers).toEqual([model.layers[1].name]);
    const nested = tf.sequential({ layers: [model, tf.layers.dense({ units: 1 })] });
    expect(new Engine(nested).batchMixingLayers).toEqual([model.layers[1].name]);
    const x = tf.randomNormal([4, 3]);
    const losses = record(() => tf.sum(model.apply(x, { training: true }) as tf.Tensor, 1));
    expect(() => engine.computeGramian(losses)).toThrow(model.layers[1].name);
    expect(() => engine.computeGramian(losses)).toThrow(/batchDim: null/);
    disposeGraph(losses);
    // In inference mode they are exact (no reduction over the batch), as before.
    const inference = record(() => tf.sum(model.apply(x) as tf.Tensor, 1));
    const G = engine.computeGramian(inference);
    expect(G.shape).toEqual([4, 4]);
    disposeGraph(inference);
    tf.dispose([G, losses, inference, x]);
  });

  it('batchDim: null keeps tf.memory().numTensors flat over many steps', () => {
    const model = bnModel();
    const engine = new Engine(model, { batchDim: null });
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 5);
    const step = () => {
      const losses = record(() =>
        tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor), 1),
      );
      const G = engine.computeGramian(losses);
      const weights = tf.tidy(() => tf.div(tf.onesLike(losses), 4));
      backward(losses, { gradient: weights });
      zeroGrad();
      tf.dispose([G, losses, weights]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('the layers may be one layer, or any iterable of layers', () => {
    const model = bnModel();
    const fromSet = new Engine(new Set(model.layers));
    expect(fromSet.layers).toEqual(model.layers);
    function* layers() {
      yield* model.layers;
    }
    expect(new Engine(layers()).weights()).toEqual(new Engine(model).weights());
    expect(new Engine(model.layers[0]).layers).toEqual([model.layers[0]]);
    expect(() => new Engine(new Set())).toThrow(/`modelOrLayers`/);
    expect(() => new Engine([1] as never)).toThrow(/`modelOrLayers`/);
  });
});
