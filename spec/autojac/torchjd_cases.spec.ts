/**
 * TorchJD's autojac edge cases: initial gradients / Jacobians (chain rule), repeated tensors,
 * empty parameter lists, the aggregator option of mtlBackward, and both aggregation paths.
 * Expected values are worked out by hand or with plain-JS arithmetic in the spec.
 */
import * as tf from '@tensorflow/tfjs';
import { Mean } from '../../lib/aggregation/mean';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { clearJac, gradOf, jacOf, record, zeroGrad } from '../../lib/autograd';
import { backward, jac, jacToGrad, mtlBackward, mtlGrads } from '../../lib/autojac';
import { InvalidArgumentError, NumericalError } from '../../lib/errors';

const values = (t: tf.Tensor | null) => Array.from(t!.dataSync());
function expectClose(actual: number[], expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], digits));
}

afterEach(() => zeroGrad());

/**
 * TorchJD's two-feature model: f1 = [-1, 1]·p0 = 1, f2 = Σp0² = 5 at p0 = [1, 2];
 * yᵢ = f1·pᵢ[0] + f2·pᵢ[1]. By hand: ∂y1/∂p0 = 1·[-1, 1] + 2·[2, 4] = [3, 9],
 * ∂y2/∂p0 = 3·[-1, 1] + 4·[2, 4] = [5, 19], ∂yᵢ/∂pᵢ = [f1, f2] = [1, 5].
 */
function twoFeatures() {
  const p0 = tf.variable(tf.tensor1d([1, 2]));
  const p1 = tf.variable(tf.tensor1d([1, 2]));
  const p2 = tf.variable(tf.tensor1d([3, 4]));
  const out = record(() => {
    const f1 = tf.dot(tf.tensor1d([-1, 1]), p0);
    const f2 = tf.sum(tf.square(p0));
    const head = (p: tf.Tensor) =>
      tf.add(tf.mul(f1, p.slice([0], [1]).reshape([])), tf.mul(f2, p.slice([1], [1]).reshape([])));
    return { f1, f2, y1: head(p1), y2: head(p2) };
  });
  return { p0, p1, p2, ...out, dispose: () => tf.dispose([p0, p1, p2, Object.values(out)]) };
}

describe('mtlBackward, TorchJD cases', () => {
  it('repeated shared or task params count once', () => {
    const t = twoFeatures();
    mtlBackward({
      losses: [t.y1, t.y2],
      features: [t.f1, t.f2],
      sharedParams: [t.p0, t.p0],
      tasksParams: [[t.p1, t.p1], [t.p2]],
    });
    expect(jacOf(t.p0)!.arraySync()).toEqual([
      [3, 9],
      [5, 19],
    ]);
    expectClose(values(gradOf(t.p1)), [1, 5]);
    expectClose(values(gradOf(t.p2)), [1, 5]);
    t.dispose();
  });

  it('repeated losses or features are rejected', () => {
    const t = twoFeatures();
    const features = [t.f1, t.f2];
    expect(() => mtlBackward({ losses: [t.y1, t.y1, t.y2], features })).toThrow(/unique/);
    expect(() => mtlBackward({ losses: [t.y1, t.y2], features: [t.f1, t.f1, t.f2] })).toThrow(
      InvalidArgumentError,
    );
    t.dispose();
  });

  it('empty parameter lists fill nothing; a partial list fills only what it names', () => {
    const t = twoFeatures();
    const features = [t.f1, t.f2];
    mtlBackward({
      losses: [t.y1, t.y2],
      features,
      sharedParams: [],
      tasksParams: [[], []],
      retainGraph: true,
    });
    expect([jacOf(t.p0), gradOf(t.p1), gradOf(t.p2)]).toEqual([null, null, null]);
    mtlBackward({
      losses: [t.y1, t.y2],
      features,
      sharedParams: [t.p0],
      tasksParams: [[t.p1], []],
    });
    expect(jacOf(t.p0)).not.toBeNull();
    expectClose(values(gradOf(t.p1)), [1, 5]);
    expect(gradOf(t.p2)).toBeNull();
    t.dispose();
  });

  it('gradTensors seed non-scalar losses (chain rule), as TorchJD test_grad_tensors_value', () => {
    // f = A p0; y1 = p1·f (scalar), y2 = p2 ⊙ f ([2]), y3 = p3 ⊗ f ([4, 2]).
    const A = [
      [1, 2, 0],
      [0, 1, -1],
    ];
    const p0v = [1, -1, 2];
    const p1v = [2, 1];
    const p2v = [1, -2];
    const p3v = [1, 2, 3, -1];
    const g1 = 0.5;
    const g2 = [1, 2];
    const g3 = [
      [1, 0],
      [0, 1],
      [2, 1],
      [1, -1],
    ];
    const p0 = tf.variable(tf.tensor1d(p0v));
    const [p1, p2, p3] = [p1v, p2v, p3v].map((v) => tf.variable(tf.tensor1d(v)));
    const { f, y1, y2, y3 } = record(() => {
      const f = tf.matMul(tf.tensor2d(A), p0.reshape([3, 1])).reshape([2]);
      return {
        f,
        y1: tf.dot(p1, f),
        y2: tf.mul(p2, f),
        y3: tf.mul(p3.reshape([4, 1]), f.reshape([1, 2])),
      };
    });
    const seeds = [tf.scalar(g1), tf.tensor1d(g2), tf.tensor2d(g3)];
    mtlBackward({ losses: [y1, y2, y3], features: f, gradTensors: seeds });

    // Plain-JS expectations: f = A p0 = [-1, -3].
    const fv = A.map((row) => row.reduce((s, a, k) => s + a * p0v[k], 0));
    expectClose(
      values(gradOf(p1)),
      fv.map((x) => g1 * x),
    );
    expectClose(
      values(gradOf(p2)),
      fv.map((x, k) => g2[k] * x),
    );
    expectClose(
      values(gradOf(p3)),
      g3.map((row) => row[0] * fv[0] + row[1] * fv[1]),
    );
    // Rows of ∂/∂f: g1·p1, g2 ⊙ p2, g3ᵀ p3; then times A.
    const featureRows = [
      p1v.map((x) => g1 * x),
      p2v.map((x, k) => g2[k] * x),
      [0, 1].map((k) => g3.reduce((s, row, i) => s + row[k] * p3v[i], 0)),
    ];
    const expected = featureRows.map((r) => [0, 1, 2].map((j) => r[0] * A[0][j] + r[1] * A[1][j]));
    expectClose(values(jacOf(p0)), expected.flat());
    tf.dispose([p0, p1, p2, p3, f, y1, y2, y3, seeds]);
  });

  it('gradTensors of the wrong length or shape are rejected', () => {
    const t = twoFeatures();
    const losses = [t.y1, t.y2];
    const features = [t.f1, t.f2];
    const one = tf.scalar(1);
    const two = tf.ones([2]);
    expect(() => mtlBackward({ losses, features, gradTensors: [one] })).toThrow(/`gradTensors`/);
    expect(() => mtlBackward({ losses, features, gradTensors: [two, one] })).toThrow(/shape/);
    tf.dispose([one, two]);
    t.dispose();
  });

  it('with an aggregator, .grad gets the aggregation and a prior .jac is left as it was', () => {
    const t = twoFeatures();
    const features = [t.f1, t.f2];
    mtlBackward({ losses: [t.y1, t.y2], features, retainGraph: true });
    const jacBefore = jacOf(t.p0)!.arraySync();
    mtlBackward({ losses: [t.y1, t.y2], features, aggregator: new Mean() });
    expect(jacOf(t.p0)!.arraySync()).toEqual(jacBefore);
    // Mean of the rows [3, 9] and [5, 19].
    expectClose(values(gradOf(t.p0)), [4, 14]);
    t.dispose();
  });

  it('a non-finite Jacobian surfaces as NumericalError and leaves the store untouched', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const h = tf.variable(tf.tensor1d([1, 1]));
    const { features, losses } = record(() => {
      const features = tf.mul(p, tf.tensor1d([Infinity, 1]));
      return { features, losses: [tf.dot(h, features), tf.sum(features)] };
    });
    expect(() => mtlBackward({ losses, features, aggregator: new UPGrad() })).toThrow(
      NumericalError,
    );
    expect([gradOf(p), gradOf(h), jacOf(p)]).toEqual([null, null, null]);
    // Without an aggregator the head's gradient [∞, 2] is refused too (unlike TorchJD, which
    // writes it into h's .grad), still leaving the store as it was.
    expect(() => mtlBackward({ losses, features })).toThrow(/task parameter/);
    expect([gradOf(p), gradOf(h), jacOf(p)]).toEqual([null, null, null]);
    // Nor the graph: the same losses can still be differentiated (here without an aggregator and
    // without the head, so only the trunk's .jac is written; jacToGrad checks it later).
    mtlBackward({ losses, features, tasksParams: [[], []] });
    expect(jacOf(p)).not.toBeNull();
    zeroGrad();
    clearJac([p]);
    tf.dispose([p, h, features, losses]);
  });
});

describe('jacToGrad on a non-finite Jacobian', () => {
  it('throws NumericalError and leaves .jac and .grad as they were', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const [y1, y2] = record(() => [tf.sum(tf.mul(p, tf.tensor1d([NaN, 1]))), tf.sum(p)]);
    backward([y1, y2]);
    expect(() => jacToGrad([p], new UPGrad())).toThrow(NumericalError);
    expect(() => jacToGrad([p], new Mean())).toThrow(NumericalError); // the full-matrix path too
    expect(jacOf(p)!.shape).toEqual([2, 2]);
    expect(gradOf(p)).toBeNull();
    tf.dispose([p, y1, y2]);
  });
});

describe('jac and autojac.backward with initial Jacobians', () => {
  // h = x² at x = [1, 2]; y1 = h₀ + h₁, y2 = h₀ − h₁: ∂y/∂x = [[2, 4], [2, −4]] (TorchJD's example).
  function chain() {
    const x = tf.variable(tf.tensor1d([1, 2]));
    const out = record(() => {
      const h = tf.square(x);
      const [h0, h1] = tf.unstack(h);
      return { h, y1: tf.add(h0, h1), y2: tf.sub(h0, h1) };
    });
    return { x, ...out, dispose: () => tf.dispose([x, Object.values(out)]) };
  }

  it('jacOutputs applies the chain rule in two steps', () => {
    const c = chain();
    const [jh] = jac([c.y1, c.y2], c.h, { retainGraph: true });
    expect(jh.arraySync()).toEqual([
      [1, 1],
      [1, -1],
    ]);
    const [jx] = jac(c.h, c.x, { jacOutputs: jh });
    expect(jx.arraySync()).toEqual([
      [2, 4],
      [2, -4],
    ]);
    tf.dispose([jh, jx]);
    c.dispose();
  });

  it('backward with identity jacTensors equals the default', () => {
    const c = chain();
    const [e1, e2] = [tf.tensor1d([1, 0]), tf.tensor1d([0, 1])];
    backward([c.y1, c.y2], { jacTensors: [e1, e2] });
    expect(jacOf(c.x)!.arraySync()).toEqual([
      [2, 4],
      [2, -4],
    ]);
    tf.dispose([e1, e2]);
    c.dispose();
  });

  it('rejects initial Jacobians of the wrong count, shape or row count', () => {
    const c = chain();
    const two = tf.ones([2]);
    const three = tf.ones([3]);
    const bad = tf.ones([2, 3]);
    const opts = { retainGraph: true };
    expect(() => backward([c.y1, c.y2], { ...opts, jacTensors: [two] })).toThrow(/same length/);
    expect(() => backward([c.y1, c.y2], { ...opts, jacTensors: [two, three] })).toThrow(/rows/);
    expect(() => jac(c.h, c.x, { ...opts, jacOutputs: bad })).toThrow(/`jacOutputs`/);
    expect(() => jac([c.y1, c.y1], c.x, opts)).toThrow(/unique/);
    expect(() => backward([c.y1, c.y1], opts)).toThrow(/unique/);
    tf.dispose([two, three, bad]);
    c.dispose();
  });

  it('jac with a repeated input returns one (separately owned) Jacobian per entry', () => {
    const c = chain();
    const before = tf.memory().numTensors;
    const [a, b] = jac([c.y1, c.y2], [c.x, c.x], { retainGraph: true });
    expect(a).not.toBe(b);
    expect(b.arraySync()).toEqual(a.arraySync());
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
    c.dispose();
  });
});

describe('both aggregation paths agree', () => {
  // A 3-task model: features = relu(W x), loss_i = (h_iᵀ features − t_i)².
  function model() {
    const W = tf.variable(tf.tensor2d([0.5, -1, 2, 1, 0.3, -0.7], [3, 2]));
    const x = tf.tensor2d([1, 2], [2, 1]);
    const heads = [
      [1, -2, 0.5],
      [-1, 1, 1],
      [0.2, 0.3, -2],
    ].map((h) => tf.variable(tf.tensor2d(h, [1, 3])));
    const fn = () => {
      const features = tf.relu(tf.matMul(W, x));
      const losses = heads.map((h, i) => tf.sum(tf.square(tf.sub(tf.matMul(h, features), i))));
      return { features, losses: losses as tf.Scalar[] };
    };
    return { W, fn, dispose: () => tf.dispose([W, x, heads]) };
  }

  it('the Gramian-sum shortcut and the full matrix (taken when a hook is set) give the same grads', () => {
    const m = model();
    const fast = mtlGrads(m.fn, { aggregator: new UPGrad() });
    const hooked = new UPGrad();
    const seenShapes: number[][] = [];
    const handle = hooked.registerForwardHook((_a, [matrix]) => {
      seenShapes.push(matrix.shape);
    });
    const full = mtlGrads(m.fn, { aggregator: hooked });
    handle.remove();
    expect(seenShapes).toEqual([[3, 6]]); // the hook sees the whole [m, n] Jacobian
    expectClose(values(full.grads[m.W.name]), values(fast.grads[m.W.name]), 5);
    expectClose(full.weights!, fast.weights!, 5);
    tf.dispose([fast.losses, fast.grads, full.losses, full.grads]);
    m.dispose();
  });

  it('jacToGrad: optimizeGramianComputation refuses an aggregator with hooks, as TorchJD', () => {
    const m = model();
    const out = record(m.fn);
    mtlBackward(out);
    const hooked = new UPGrad();
    const handle = hooked.registerForwardPreHook(() => undefined);
    expect(() => jacToGrad([m.W], hooked, { optimizeGramianComputation: true })).toThrow(
      /optimizeGramianComputation/,
    );
    handle.remove();
    expect(() => jacToGrad([m.W], new Mean(), { optimizeGramianComputation: true })).toThrow(
      InvalidArgumentError,
    );
    tf.dispose([out.features, out.losses]);
    m.dispose();
  });
});
