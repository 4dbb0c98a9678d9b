/**
 * TorchJD semantics that the port once refused: a loss that does not reach the features (or an
 * input) gives a zero Jacobian row; `jac` with no inputs gives an empty result; `backward` with no
 * inputs fills nothing; every parameter list accepts `model.trainableWeights` and any iterable.
 */
import * as tf from '@tensorflow/tfjs';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { Mean } from '../../lib/aggregation/mean';
import {
  backward as autogradBackward,
  grad,
  gradOf,
  gradsMap,
  jacOf,
  record,
  zeroGrad,
} from '../../lib/autograd';
import { backward, jac, jacToGrad, mtlBackward, mtlGrads } from '../../lib/autojac';
import { InvalidArgumentError } from '../../lib/errors';

const values = (t: tf.Tensor | null) => Array.from(t!.dataSync());

afterEach(() => zeroGrad());

/** features = p ⊙ x; ℓ₁ = ⟨h1, features⟩; ℓ₂ = Σ h2² (does not reach the features). */
function detachedSecondLoss() {
  const x = tf.tensor1d([2, -1]);
  const p = tf.variable(tf.tensor1d([1, 3]));
  const h1 = tf.variable(tf.tensor1d([0.5, 1]));
  const h2 = tf.variable(tf.tensor1d([-2, 4]));
  const forward = () =>
    record(() => {
      const features = tf.mul(p, x);
      return { features, losses: [tf.dot(h1, features), tf.sum(tf.square(h2))] };
    });
  return { p, h1, h2, forward, dispose: () => tf.dispose([x, p, h1, h2]) };
}

describe('a loss that does not use the features', () => {
  it('mtlBackward gives it a zero row of the shared Jacobian and its own task gradient', () => {
    const m = detachedSecondLoss();
    const { features, losses } = m.forward();
    mtlBackward({ losses, features });
    // Row 1: dℓ₁/dp = h1 ⊙ x = [1, -1]; row 2: zeros, as TorchJD's materialized gradients.
    const J = jacOf(m.p)!.arraySync() as number[][];
    expect(J.map((row) => row.map((v) => v + 0))).toEqual([
      [1, -1],
      [0, 0],
    ]); // + 0 turns the −0 of 0 · (−1) into 0
    expect(values(gradOf(m.h1))).toEqual([2, -3]);
    expect(values(gradOf(m.h2))).toEqual([-4, 8]); // 2 h2
    tf.dispose([features, losses]);
    m.dispose();
  });

  it('mtlBackward with an aggregator and mtlGrads aggregate that zero row', () => {
    const m = detachedSecondLoss();
    const out = m.forward();
    mtlBackward({ ...out, aggregator: new Mean() });
    expect(values(gradOf(m.p))).toEqual([0.5, -0.5]); // mean of [1, -1] and [0, 0]
    tf.dispose([out.features, out.losses]);
    for (const aggregator of [new Mean(), new UPGrad()]) {
      const before = tf.memory().numTensors;
      const { losses, grads } = mtlGrads(
        () => {
          const features = tf.mul(m.p, tf.tensor1d([2, -1]));
          return { features, losses: [tf.dot(m.h1, features), tf.sum(tf.square(m.h2))] };
        },
        { aggregator },
      );
      // UPGrad of [[1, -1], [0, 0]]: the zero row imposes nothing; half the first row.
      const expected = [0.5, -0.5];
      values(grads[m.p.name]).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
      expect(values(grads[m.h2.name])).toEqual([-4, 8]);
      tf.dispose([losses, grads]);
      expect(tf.memory().numTensors).toBe(before);
    }
    m.dispose();
  });

  it('jac and autojac.backward give a zero row for an output that does not reach an input', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const q = tf.variable(tf.tensor1d([3]));
    const [y1, y2] = record(() => [tf.sum(tf.square(p)), tf.sum(q)]);
    const [Jp, Jq] = jac([y1, y2], [p, q], { retainGraph: true });
    expect(Jp.arraySync()).toEqual([
      [2, 4],
      [0, 0],
    ]);
    expect(Jq.arraySync()).toEqual([[0], [1]]);
    backward([y1, y2], { inputs: [p] });
    expect(jacOf(p)!.arraySync()).toEqual(Jp.arraySync());
    tf.dispose([Jp, Jq, y1, y2, p, q]);
  });
});

describe('empty cases TorchJD allows', () => {
  it('jac with no inputs returns an empty array (and frees the graph unless retained)', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const y = record(() => tf.sum(tf.square(p)));
    const before = tf.memory().numTensors;
    expect(jac(y, [], { retainGraph: true })).toEqual([]);
    expect(jac(y, new Set<tf.Tensor>())).toEqual([]);
    expect(tf.memory().numTensors).toBeLessThan(before); // the saved tensors went with the graph
    expect(() => jac([], [p])).toThrow(/`outputs`/); // TorchJD: outputs cannot be empty
    tf.dispose([y, p]);
  });

  it('autojac.backward with no inputs fills no .jac', () => {
    const p = tf.variable(tf.tensor1d([1, 2]));
    const y = record(() => tf.sum(tf.square(p)));
    backward(y, { inputs: [] });
    expect(jacOf(p)).toBeNull();
    tf.dispose([y, p]);
  });

  it('mtlBackward with empty parameter lists fills nothing', () => {
    const m = detachedSecondLoss();
    const { features, losses } = m.forward();
    mtlBackward({ losses, features, sharedParams: [], tasksParams: [[], []] });
    for (const v of [m.p, m.h1, m.h2]) {
      expect(jacOf(v)).toBeNull();
      expect(gradOf(v)).toBeNull();
    }
    tf.dispose([features, losses]);
    m.dispose();
  });

  it('jacToGrad with no variables still throws, as TorchJD', () => {
    expect(() => jacToGrad([], new UPGrad())).toThrow(InvalidArgumentError);
  });
});

describe('parameter lists: model.trainableWeights and any iterable', () => {
  /** A two-layer trunk and two one-unit heads. */
  function model() {
    const init = (seed: number) => tf.initializers.glorotNormal({ seed });
    const trunk = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [3], units: 4, kernelInitializer: init(1) }),
        tf.layers.dense({ units: 2, kernelInitializer: init(2) }),
      ],
    });
    const heads = [3, 4].map((seed) =>
      tf.sequential({
        layers: [tf.layers.dense({ inputShape: [2], units: 1, kernelInitializer: init(seed) })],
      }),
    );
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 2],
    ]);
    const forward = () =>
      record(() => {
        const features = trunk.apply(x) as tf.Tensor;
        const losses = heads.map((h) => tf.mean(tf.square(h.apply(features) as tf.Tensor)));
        return { features, losses };
      });
    const vars = (m: tf.LayersModel) => m.trainableWeights.map((w) => w.read() as tf.Variable);
    return { trunk, heads, x, forward, vars };
  }

  it('mtlBackward, jacToGrad, zeroGrad and gradsMap take model.trainableWeights', () => {
    const m = model();
    let out = m.forward();
    mtlBackward({ ...out, sharedParams: m.vars(m.trunk), tasksParams: m.heads.map(m.vars) });
    jacToGrad(m.vars(m.trunk), new UPGrad());
    const reference = m.vars(m.trunk).map((v) => values(gradOf(v)));
    const headReference = m.heads.flatMap((h) => m.vars(h).map((v) => values(gradOf(v))));
    zeroGrad();
    tf.dispose([out.features, out.losses]);

    out = m.forward();
    mtlBackward({
      ...out,
      sharedParams: m.trunk.trainableWeights,
      tasksParams: new Set(m.heads.map((h) => h.trainableWeights)),
    });
    jacToGrad(m.trunk.trainableWeights, new UPGrad());
    expect(Object.keys(gradsMap(m.trunk.trainableWeights))).toEqual(
      m.vars(m.trunk).map((v) => v.name),
    );
    expect(m.vars(m.trunk).map((v) => values(gradOf(v)))).toEqual(reference);
    expect(m.heads.flatMap((h) => m.vars(h).map((v) => values(gradOf(v))))).toEqual(headReference);
    zeroGrad(m.trunk.trainableWeights);
    m.vars(m.trunk).forEach((v) => expect(gradOf(v)).toBeNull());
    zeroGrad(new Set(m.heads.flatMap((h) => h.trainableWeights)));
    expect(Object.keys(gradsMap())).toEqual([]);
    tf.dispose([out.features, out.losses]);
  });

  it('mtlGrads, jac, autojac.backward and autograd.backward take iterables', () => {
    const m = model();
    function* trunkWeights() {
      yield* m.trunk.trainableWeights;
    }
    const viaArrays = mtlGrads(
      () => {
        const out = m.forward();
        return out;
      },
      { aggregator: new UPGrad(), sharedParams: m.vars(m.trunk) },
    );
    const viaGenerator = mtlGrads(() => m.forward(), {
      aggregator: new UPGrad(),
      sharedParams: trunkWeights(),
    });
    expect(Object.keys(viaGenerator.grads).sort()).toEqual(Object.keys(viaArrays.grads).sort());
    for (const name of Object.keys(viaArrays.grads)) {
      expect(values(viaGenerator.grads[name])).toEqual(values(viaArrays.grads[name]));
    }
    tf.dispose([viaArrays.losses, viaArrays.grads, viaGenerator.losses, viaGenerator.grads]);

    const out = m.forward();
    const jacobians = jac(out.losses, m.trunk.trainableWeights, { retainGraph: true });
    expect(jacobians.map((j) => j.shape)).toEqual(m.vars(m.trunk).map((v) => [2, ...v.shape]));
    backward(out.losses, { inputs: new Set(m.trunk.trainableWeights), retainGraph: true });
    m.vars(m.trunk).forEach((v, i) => expect(values(jacOf(v))).toEqual(values(jacobians[i])));
    autogradBackward(out.losses[0], { inputs: trunkWeights() });
    m.vars(m.trunk).forEach((v, i) =>
      expect(values(gradOf(v))).toEqual(values(jacobians[i]).slice(0, v.size)),
    );
    tf.dispose([jacobians, out.features, out.losses]);
  });

  it('anything else is an InvalidArgumentError naming the list', () => {
    const m = model();
    const out = m.forward();
    expect(() => mtlBackward({ ...out, sharedParams: [1, 2] as never })).toThrow(
      /`sharedParams`.*element 0/,
    );
    expect(() => mtlBackward({ ...out, sharedParams: 3 as never })).toThrow(/`sharedParams`/);
    expect(() => mtlBackward({ ...out, tasksParams: 3 as never })).toThrow(/`tasksParams`/);
    expect(() => zeroGrad('w' as never)).toThrow(/`variables`/);
    expect(() => jac(out.losses, [{}] as never)).toThrow(/`inputs`/);
    tf.dispose([out.features, out.losses]);
  });
});

describe('autograd.grad takes iterables too', () => {
  it('inputs as a Set, LayerVariables included', () => {
    const layer = tf.layers.dense({ units: 1, inputShape: [2], useBias: false });
    const model = tf.sequential({ layers: [layer] });
    const y = record(() => tf.sum(model.apply(tf.tensor2d([[1, 2]])) as tf.Tensor));
    const [g] = grad(y, new Set(model.trainableWeights));
    expect(Array.from(g.dataSync())).toEqual([1, 2]);
    expect(() => grad(y, new Set())).toThrow(/`inputs`/);
    tf.dispose([g, y]);
    model.dispose();
  });
});
