/**
 * What the autojac entry points do with what they cannot trust: a non-finite gradient of a task
 * parameter (the heads are checked as the shared Jacobian is), parameters reached both by the
 * features and by a loss directly (the error names the argument behind it), and plain-JavaScript
 * misuse (a missing options object, a weighting or any non-Aggregator as aggregator).
 */
import * as tf from '@tensorflow/tfjs';
import {
  autograd,
  autojac,
  Engine,
  gradOf,
  jacOf,
  jacToGrad,
  mtlBackward,
  mtlGrads,
  record,
  UPGrad,
  UPGradWeighting,
  Mean,
  zeroGrad,
} from '../../lib/index';
import { InvalidArgumentError, NumericalError } from '../../lib/errors';

function thrown(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (error) {
    return error as InvalidArgumentError;
  }
  throw new Error('expected a throw');
}

/** A trunk W, a head h whose gradient is NaN (the loss adds NaN · h), and a finite Jacobian. */
let models = 0;
function model() {
  const W = tf.variable(
    tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
    true,
    `trust_W${++models}`,
  );
  const h = tf.variable(tf.tensor1d([1, -1]), true, `trust_h${models}`);
  const x = tf.tensor2d([[1, 1]]);
  const nan = tf.tensor1d([NaN, 0]);
  const fn = () => {
    const features = tf.matMul(x, W);
    const headLoss = tf.add(tf.sum(tf.mul(features, h)), tf.sum(tf.mul(nan, h)));
    return { features, losses: [headLoss, tf.sum(features)] };
  };
  return { W, h, fn, dispose: () => tf.dispose([W, h, x, nan]) };
}

describe('a non-finite gradient of a task parameter', () => {
  it.each([
    ['UPGrad (Gramian path)', () => new UPGrad()],
    ['Mean (Jacobian path)', () => new Mean()],
  ])('mtlGrads with %s: NumericalError naming the parameter, nothing leaked', (_n, make) => {
    const m = model();
    const aggregator = make();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) {
      expect(() => mtlGrads(m.fn, { aggregator })).toThrow(
        /task parameter 'trust_h\d+' has NaN or infinite/,
      );
    }
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it.each([
    ['with an aggregator', { aggregator: new UPGrad() }],
    ['without an aggregator', {}],
  ])('mtlBackward %s: NumericalError, the store untouched', (_n, extra) => {
    const m = model();
    const out = record(m.fn);
    expect(() => mtlBackward({ ...out, ...extra })).toThrow(NumericalError);
    expect([gradOf(m.h), gradOf(m.W), jacOf(m.W)]).toEqual([null, null, null]);
    mtlBackward({ ...out, tasksParams: [[], []] }); // the graph is still there
    expect(jacOf(m.W)).not.toBeNull();
    zeroGrad();
    tf.dispose([out.features, out.losses]);
    m.dispose();
  });
});

describe('parameters reached by the features and by a loss directly', () => {
  const setup = () => {
    const W = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      true,
      `overlap_W${++models}`,
    );
    const h = tf.variable(tf.tensor1d([1, -1]), true, `overlap_h${models}`);
    const x = tf.tensor2d([[1, 1]]);
    // The second feature is computed from the head and no loss uses it.
    const fn = () => {
      const f1 = tf.matMul(x, W);
      const f2 = tf.mul(x, h);
      return { features: [f1, f2], losses: [tf.sum(tf.mul(f1, h)), tf.sum(f1)] };
    };
    return { W, h, fn, dispose: () => tf.dispose([W, h, x]) };
  };

  it('blame features (not the tasksParams nobody passed), saying which feature and why', () => {
    const s = setup();
    const error = thrown(() => mtlGrads(s.fn, { aggregator: new UPGrad() }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.argument).toBe('features');
    expect(error.message).toMatch(
      /feature 1 depends on 'overlap_h\d+' and no loss uses that feature/,
    );
    s.dispose();
  });

  it('blame sharedParams when only it was given, and tasksParams when it was given', () => {
    const s = setup();
    const shared = thrown(() =>
      mtlGrads(s.fn, { aggregator: new UPGrad(), sharedParams: [s.W, s.h] }),
    );
    expect(shared.argument).toBe('sharedParams');
    const tasks = thrown(() =>
      mtlGrads(s.fn, { aggregator: new UPGrad(), tasksParams: [[s.h], []] }),
    );
    expect(tasks.argument).toBe('tasksParams');
    s.dispose();
  });
});

describe('plain-JavaScript misuse', () => {
  const W = tf.variable(tf.tensor1d([1, 2]), true, 'misuse_W');
  afterAll(() => W.dispose());
  const fn = () => {
    const features = tf.mul(W, 2);
    return { features, losses: [tf.sum(features), tf.sum(tf.square(features))] };
  };

  it('jacToGrad with a weighting names aggregator and says it is a weighting', () => {
    const [y1, y2] = record(() => [tf.sum(W), tf.sum(tf.square(W))]);
    autojac.backward([y1, y2]);
    const error = thrown(() => jacToGrad([W], new UPGradWeighting() as never));
    expect(error.argument).toBe('aggregator');
    expect(error.message).toMatch(/UPGradWeighting is a weighting.*new UPGrad\(\)/);
    expect(jacOf(W)).not.toBeNull(); // nothing consumed
    zeroGrad();
    tf.dispose([y1, y2]);
  });

  it.each([
    ['no options', undefined, 'options'],
    ['no aggregator', {}, 'aggregator'],
    ['a plain object', { aggregator: {} }, 'aggregator'],
    ['a weighting', { aggregator: new UPGradWeighting() }, 'aggregator'],
  ])('mtlGrads with %s names %s', (_n, options, argument) => {
    const before = tf.memory().numTensors;
    expect(thrown(() => mtlGrads(fn, options as never)).argument).toBe(argument);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mtlBackward without options, or without features, names them', () => {
    expect(thrown(() => (mtlBackward as (o?: unknown) => void)()).argument).toBe('options');
    const out = record(fn);
    expect(thrown(() => mtlBackward({ losses: out.losses } as never)).argument).toBe('features');
    expect(
      thrown(() => mtlBackward({ ...out, aggregator: new UPGradWeighting() as never })).argument,
    ).toBe('aggregator');
    tf.dispose([out.features, out.losses]);
  });

  it('a disposed variable names variables and says disposed', () => {
    const v = tf.variable(tf.scalar(1));
    v.dispose();
    expect(() => jacToGrad([v], new UPGrad())).toThrow(/`variables`: element 0 is disposed/);
  });

  it('a non-object options argument names options', () => {
    const y = record(() => tf.sum(W));
    expect(thrown(() => autojac.backward([y], null as never)).argument).toBe('options');
    expect(thrown(() => autojac.jac([y], [W], 3 as never)).argument).toBe('options');
    tf.dispose(y);
  });
});

describe('disposed tensors at every differentiation entry point', () => {
  const W = tf.variable(tf.tensor1d([1, 2]), true, 'disposed_W');
  afterAll(() => W.dispose());
  const gone = () => {
    const y = record(() => tf.sum(tf.square(W)));
    y.dispose();
    return y;
  };

  it.each([
    ['autograd.backward', () => autograd.backward(gone()), 'tensor'],
    ['autograd.grad', () => autograd.grad(gone(), [W]), 'outputs'],
    ['autojac.backward', () => autojac.backward([gone()]), 'tensors'],
    ['jac', () => autojac.jac([gone()], [W]), 'outputs'],
    ['mtlBackward', () => mtlBackward({ losses: [gone()], features: [gone()] }), 'losses'],
  ] as [string, () => unknown, string][])('%s names %s and says disposed', (_n, call, argument) => {
    const error = thrown(call);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.argument).toBe(argument);
    expect(error.message).toMatch(/disposed/);
  });

  it('Engine.computeGramian names losses', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    const engine = new Engine(model, { batchDim: 0 });
    const losses = record(() => tf.sum(model.apply(tf.ones([3, 2])) as tf.Tensor, 1));
    losses.dispose();
    expect(() => engine.computeGramian(losses)).toThrow(/`losses`.*disposed/);
    model.dispose();
  });
});
