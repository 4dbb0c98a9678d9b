import * as tf from '@tensorflow/tfjs';
import { Mean } from '../../lib/aggregation/mean';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { gradOf, gradsMap, jacOf, record, zeroGrad, GraphFreedError } from '../../lib/autograd';
import { backward, jac, jacToGrad, mtlBackward, mtlGrads } from '../../lib/autojac';
import { InvalidArgumentError, NotRecordedError, NumericalError } from '../../lib/errors';

const values = (t: tf.Tensor | null) => Array.from(t!.dataSync());
function expectClose(actual: number[], expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], digits));
}

afterEach(() => zeroGrad());

describe('jac and autojac.backward', () => {
  // y1 = [-1, 1]·p, y2 = Σp² at p = [1, 2]: Jacobian [[-1, 1], [2p₁, 2p₂]] = [[-1, 1], [2, 4]].
  function doc() {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const [y1, y2] = record(() => [tf.dot(tf.tensor1d([-1, 1]), p), tf.sum(tf.square(p))]);
    return { p, y1, y2, dispose: () => tf.dispose([p, y1, y2]) };
  }

  it('jac gives one row per output', () => {
    const { p, y1, y2, dispose } = doc();
    const [J] = jac([y1, y2], [p]);
    expect(J.shape).toEqual([2, 2]);
    expect(J.arraySync()).toEqual([
      [-1, 1],
      [2, 4],
    ]);
    J.dispose();
    dispose();
  });

  it('jac of a non-scalar output has one row per element', () => {
    const p = tf.variable(tf.tensor1d([1, 2, 3]));
    const y = record(() => tf.mul(p, tf.tensor1d([2, 3, 4])));
    const [J] = jac(y, p);
    expect(J.arraySync()).toEqual([
      [2, 0, 0],
      [0, 3, 0],
      [0, 0, 4],
    ]);
    tf.dispose([J, y, p]);
  });

  it('backward fills .jac, and jacToGrad with UPGrad gives TorchJD documented [0.5, 2.5]', () => {
    const { p, y1, y2, dispose } = doc();
    backward([y1, y2]);
    expect(jacOf(p)!.arraySync()).toEqual([
      [-1, 1],
      [2, 4],
    ]);
    const weights = jacToGrad([p], new UPGrad());
    expectClose(values(gradOf(p)), [0.5, 2.5], 4);
    expectClose(weights!, [0.5, 0.5], 4);
    expect(jacOf(p)).toBeNull(); // cleared without retainJac
    dispose();
  });

  it('jacToGrad keeps .jac with retainJac and rejects missing or inconsistent Jacobians', () => {
    const { p, y1, y2, dispose } = doc();
    const q = tf.variable(tf.tensor1d([3]));
    expect(() => jacToGrad([p], new UPGrad())).toThrow(/Did you call autojac.backward/);
    backward([y1, y2], { retainGraph: true });
    jacToGrad([p], new UPGrad(), { retainJac: true });
    expect(jacOf(p)).not.toBeNull();
    const z = record(() => tf.sum(q));
    backward([z]);
    expect(() => jacToGrad([p, q], new UPGrad())).toThrow(/same number of rows/);
    expect(() => jacToGrad([], new UPGrad())).toThrow(InvalidArgumentError);
    tf.dispose([q, z]);
    dispose();
  });

  it('jac, autojac.backward and jacToGrad keep memory flat over 200 steps', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const step = () => {
      const [y1, y2] = record(() => [tf.dot(tf.tensor1d([-1, 1]), p), tf.sum(tf.square(p))]);
      const [J] = jac([y1, y2], [p], { retainGraph: true });
      backward([y1, y2]);
      jacToGrad([p], new UPGrad());
      zeroGrad();
      tf.dispose([J, y1, y2]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    p.dispose();
  });

  it('jacToGrad with optimizeGramianComputation gives the same gradients', () => {
    const a = doc();
    backward([a.y1, a.y2]);
    jacToGrad([a.p], new UPGrad());
    const plain = values(gradOf(a.p));
    zeroGrad();
    const b = doc();
    backward([b.y1, b.y2]);
    jacToGrad([b.p], new UPGrad(), { optimizeGramianComputation: true });
    expectClose(values(gradOf(b.p)), plain, 6);
    a.dispose();
    b.dispose();
  });
});

/** A model with a known answer: features = p ⊙ x, loss_i = ⟨h_i, features⟩. */
function linearModel() {
  const x = tf.tensor1d([2, -1]);
  const p = tf.variable(tf.tensor1d([1, 3]));
  const h1 = tf.variable(tf.tensor1d([0.5, 1]));
  const h2 = tf.variable(tf.tensor1d([-2, 4]));
  const forward = () =>
    record(() => {
      const features = tf.mul(p, x);
      return { features, losses: [tf.dot(h1, features), tf.dot(h2, features)] };
    });
  return { x, p, h1, h2, forward, dispose: () => tf.dispose([x, p, h1, h2]) };
}

describe('mtlBackward', () => {
  it('puts task gradients in .grad and the shared Jacobian in .jac', () => {
    const m = linearModel();
    const { features, losses } = m.forward();
    mtlBackward({ losses, features });
    // dℓᵢ/dhᵢ = p ⊙ x = [2, -3]; dℓᵢ/dp = hᵢ ⊙ x.
    expectClose(values(gradOf(m.h1)), [2, -3]);
    expectClose(values(gradOf(m.h2)), [2, -3]);
    expect(jacOf(m.p)!.arraySync()).toEqual([
      [1, -1],
      [-4, -4],
    ]);
    expect(gradOf(m.p)).toBeNull();
    tf.dispose([features, losses]);
    m.dispose();
  });

  it('accumulates when called twice on a retained graph, and frees it otherwise', () => {
    const m = linearModel();
    const { features, losses } = m.forward();
    mtlBackward({ losses, features, retainGraph: true });
    mtlBackward({ losses, features });
    expect(jacOf(m.p)!.arraySync()).toEqual([
      [2, -2],
      [-8, -8],
    ]);
    expect(() => mtlBackward({ losses, features })).toThrow(GraphFreedError);
    tf.dispose([features, losses]);
    m.dispose();
  });

  it('with an aggregator, also aggregates the shared Jacobian into .grad', () => {
    const m = linearModel();
    const { features, losses } = m.forward();
    mtlBackward({ losses, features, aggregator: new Mean() });
    expectClose(values(gradOf(m.p)), [-1.5, -2.5]);
    expect(jacOf(m.p)).toBeNull();
    tf.dispose([features, losses]);
    m.dispose();
  });

  it('sums the gradients of a head parameter shared by two tasks', () => {
    const m = linearModel();
    const { features, losses } = record(() => {
      const features = tf.mul(m.p, m.x);
      // Both losses use h1; TorchJD sums each task's gradient into a shared head parameter.
      return { features, losses: [tf.dot(m.h1, features), tf.dot(tf.add(m.h1, m.h2), features)] };
    });
    mtlBackward({ losses, features });
    expectClose(values(gradOf(m.h1)), [4, -6]); // 2 · (p ⊙ x)
    expectClose(values(gradOf(m.h2)), [2, -3]);
    tf.dispose([features, losses]);
    m.dispose();
  });

  it('rejects bad input as TorchJD does', () => {
    const m = linearModel();
    const { features, losses } = m.forward();
    expect(() => mtlBackward({ losses: [], features })).toThrow(/`losses`/);
    expect(() => mtlBackward({ losses, features: [] })).toThrow(/`features`/);
    expect(() => mtlBackward({ losses: [features], features })).toThrow(/scalar/);
    expect(() => mtlBackward({ losses, features, tasksParams: [[m.h1]] })).toThrow(/`tasksParams`/);
    expect(() =>
      mtlBackward({ losses, features, sharedParams: [m.p], tasksParams: [[m.h1], [m.p]] }),
    ).toThrow(/must not overlap/);
    expect(() => mtlBackward({ losses: [tf.scalar(1)], features })).toThrow(NotRecordedError);
    tf.dispose([features, losses]);
    m.dispose();
  });
});

/** A small two-task MLP whose weights can be cloned. */
function mlp(seed: number) {
  const init = (shape: number[], s: number) =>
    tf.variable(tf.randomNormal(shape, 0, 0.5, 'float32', s));
  const vars = tf.tidy(() => ({
    w1: init([6, 5], seed),
    b1: init([5], seed + 1),
    w2: init([5, 3], seed + 2),
    h1: init([3, 1], seed + 3),
    h2: init([3, 1], seed + 4),
  }));
  const x = tf.randomNormal([8, 6], 0, 1, 'float32', seed + 5);
  const y1 = tf.randomNormal([8, 1], 0, 1, 'float32', seed + 6);
  const y2 = tf.randomNormal([8, 1], 0, 1, 'float32', seed + 7);
  const features = () =>
    tf.relu(tf.matMul(tf.relu(tf.add(tf.matMul(x, vars.w1), vars.b1)), vars.w2));
  const losses = (f: tf.Tensor) => [
    tf.losses.meanSquaredError(y1, tf.matMul(f, vars.h1)) as tf.Scalar,
    tf.losses.meanSquaredError(y2, tf.matMul(f, vars.h2)) as tf.Scalar,
  ];
  return {
    vars,
    shared: [vars.w1, vars.b1, vars.w2],
    features,
    losses,
    fn: () => {
      const f = features();
      return { features: f, losses: losses(f) };
    },
    dispose: () => tf.dispose([...Object.values(vars), x, y1, y2]),
  };
}

describe('mtlGrads', () => {
  it('equals record + mtlBackward + jacToGrad, and leaves the store untouched', () => {
    const model = mlp(1);
    const { losses, grads, weights } = mtlGrads(model.fn, { aggregator: new UPGrad() });
    expect(gradOf(model.vars.w1)).toBeNull();
    expect(weights).toHaveLength(2);

    const out = record(model.fn);
    mtlBackward(out);
    jacToGrad(model.shared, new UPGrad());
    const reference = gradsMap();
    expect(Object.keys(grads).sort()).toEqual(Object.keys(reference).sort());
    for (const name of Object.keys(grads)) {
      const difference = tf.tidy(
        () => tf.max(tf.abs(tf.sub(grads[name], reference[name]))).dataSync()[0],
      );
      expect(difference).toBeLessThan(1e-5);
    }
    tf.dispose([losses, grads, out.features, out.losses]);
    model.dispose();
  });

  it('with Mean, the shared gradient is that of the mean loss (task heads get their own loss)', () => {
    const model = mlp(2);
    const { losses, grads } = mtlGrads(model.fn, { aggregator: new Mean() });
    const meanLoss = tf.variableGrads(() => {
      const [l1, l2] = model.losses(model.features());
      return tf.div(tf.add(l1, l2), 2) as tf.Scalar;
    });
    for (const v of model.shared) {
      const d = tf.tidy(
        () => tf.max(tf.abs(tf.sub(grads[v.name], meanLoss.grads[v.name]))).dataSync()[0],
      );
      expect(d).toBeLessThan(1e-5);
    }
    // ∂(mean)/∂h₁ = ½ ∂ℓ₁/∂h₁
    const d = tf.tidy(
      () =>
        tf
          .max(
            tf.abs(
              tf.sub(grads[model.vars.h1.name], tf.mul(2, meanLoss.grads[model.vars.h1.name])),
            ),
          )
          .dataSync()[0],
    );
    expect(d).toBeLessThan(1e-5);
    tf.dispose([losses, grads, meanLoss.value, meanLoss.grads]);
    model.dispose();
  });

  it('throws NumericalError instead of writing NaN gradients', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const h = tf.variable(tf.tensor1d([1, 1]));
    const before = tf.memory().numTensors;
    expect(() =>
      mtlGrads(
        () => {
          const features = tf.mul(p, tf.tensor1d([NaN, 1]));
          return { features, losses: [tf.dot(h, features), tf.sum(features)] };
        },
        { aggregator: new UPGrad() },
      ),
    ).toThrow(NumericalError);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([p, h]);
  });
});
