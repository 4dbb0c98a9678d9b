/**
 * The task Gramian and combination built layer by layer (`taskJacobian`) against `J Jᵀ` and `wᵀJ` of the explicit shared
 * Jacobian, on every kind of trunk: closed forms (dense kernels on both of their cost branches,
 * transposed inputs, tf.layers' fused Dense, biases on rank-2 and rank-3 outputs, convolution
 * kernels) and explicit rows (a weight used twice). Then `mtlGrads` and `mtlBackward({ aggregator })` taking
 * that path against the Jacobian path.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { MGDA } from '../../lib/aggregation/mgda';
import { UPGrad } from '../../lib/aggregation/upgrad';
import { grad, gradOf, record, disposeGraph, zeroGrad } from '../../lib/autograd';
import { mtlBackward, mtlGrads } from '../../lib/autojac';
import { mtlJacobian } from '../../lib/autojac/mtl_jacobian';
import { planTaskGramian, taskJacobian } from '../../lib/autojac/task_gramian';

interface Scenario {
  features: tf.Tensor[];
  losses: tf.Scalar[];
  shared: tf.Variable[];
  dispose(): void;
}

const seeded = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** Three losses on `features`, each reading every feature tensor through its own projection. */
function lossesOf(features: tf.Tensor[]): tf.Scalar[] {
  return [0, 1, 2].map((task) =>
    tf.addN(
      features.map((f, k) =>
        tf.sum(tf.square(tf.sub(tf.mul(f, task + 1 + k), seeded(f.shape, 50 + task)))),
      ),
    ),
  ) as tf.Scalar[];
}

function scenario(shared: tf.Variable[], forward: () => tf.Tensor[], extra: tf.Tensor[] = []) {
  const out = record(() => {
    const features = forward();
    return { features, losses: lossesOf(features) };
  });
  return {
    ...out,
    shared,
    dispose: () => {
      disposeGraph([...out.losses, ...out.features]);
      tf.dispose([...out.losses, ...out.features, ...shared, ...extra]);
    },
  };
}

/** x [batch, 8] → dense 8→6 (ReLU) → dense 6→5 (tanh), raw variables. */
function rawMlp(batch: number): Scenario {
  const w1 = tf.variable(seeded([8, 6], 1));
  const b1 = tf.variable(seeded([6], 2));
  const w2 = tf.variable(seeded([6, 5], 3));
  const b2 = tf.variable(seeded([5], 4));
  const x = seeded([batch, 8], 5);
  return scenario(
    [w1, b1, w2, b2],
    () => {
      const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
      return [tf.tanh(tf.add(tf.matMul(h, w2), b2))];
    },
    [x],
  );
}

/** From the explicit Jacobian J (the concatenated per-weight Jacobians): `J Jᵀ` and `wᵀJ`. */
function reference(s: Scenario): { gramian: number[][]; combined: number[] } {
  // One plain backward pass per loss: independent of the batching rules.
  const result = mtlJacobian({
    losses: s.losses,
    features: s.features,
    sharedParams: s.shared,
    parallelChunkSize: 1,
  });
  const [gramian, combined] = tf.tidy(() => {
    const j = tf.concat(
      result.sharedJacobians.map((t) => t.reshape([s.losses.length, -1])),
      1,
    ) as tf.Tensor2D;
    return [tf.matMul(j, j, false, true), tf.matMul(tf.tensor2d([WEIGHTS]), j)];
  });
  const values = {
    gramian: gramian.arraySync() as number[][],
    combined: Array.from(combined.dataSync() as Float32Array),
  };
  tf.dispose([gramian, combined, ...result.taskGradients, ...result.sharedJacobians]);
  return values;
}

/** Arbitrary weights of the three rows, negative ones included. */
const WEIGHTS = [1, -2, 0.5];

/** The layered Gramian and combination `wᵀJ`, and the weights that got explicit rows. */
function layered(s: Scenario): {
  gramian: number[][];
  combined: number[];
  explicit: tf.Variable[];
} {
  const plan = planTaskGramian(s.features, s.shared);
  const featureGradients = s.losses.map((loss) => grad(loss, s.features, { retainGraph: true }));
  const jacobian = taskJacobian(s.features, featureGradients, plan);
  const gramian = jacobian.gramian.arraySync() as number[][];
  const parts = jacobian.combine(WEIGHTS);
  parts.forEach((part, k) => expect(part.shape).toEqual(s.shared[k].shape));
  const combined = parts.flatMap((part) => Array.from(part.dataSync()));
  jacobian.dispose();
  tf.dispose([...parts, ...featureGradients.flat()]);
  return { gramian, combined, explicit: plan.explicit };
}

function expectClose(actual: number[][], expected: number[][]): void {
  const scale = Math.max(...expected.flat().map(Math.abs));
  expect(scale).toBeGreaterThan(0);
  actual.forEach((row, i) =>
    row.forEach((v, j) => expect(Math.abs(v - expected[i][j]) / scale).toBeLessThan(1e-5)),
  );
}

function expectMatchesReference(s: Scenario, explicitCount?: number): void {
  const actual = layered(s);
  if (explicitCount !== undefined) expect(actual.explicit.length).toBe(explicitCount);
  const expected = reference(s);
  expectClose(actual.gramian, expected.gramian);
  expectClose([actual.combined], [expected.combined]);
}

function expectScenarioMatches(make: () => Scenario, explicitCount: number): void {
  const s = make();
  try {
    expectMatchesReference(s, explicitCount);
  } finally {
    s.dispose();
  }
}

/** A site whose weight has a block of its own (a folded bias has none: its kernel's counts it). */
function hasOwnBlock(site: ReturnType<typeof planTaskGramian>['sites'][number]): boolean {
  return site.gramian !== null || site.rows !== undefined;
}

describe('taskJacobian: J Jᵀ and wᵀJ of the explicit shared Jacobian, without forming it', () => {
  // Batch 2: (AAᵀ)-form is cheaper; batch 64: explicit rows AᵀΔ are cheaper. Both are closed forms.
  it.each([2, 64])('raw dense layers and biases, batch %i (no explicit rows)', (batch) => {
    expectScenarioMatches(() => rawMlp(batch), 0);
  });

  it('on wasm too, where the (AAᵀ)-form combines each Δⱼ in place (the row loops)', async () => {
    await tf.setBackend('wasm');
    try {
      // Batch 5: one group of four combinations and one alone.
      for (const batch of [2, 5, 64]) expectScenarioMatches(() => rawMlp(batch), 0);
      const s = rawMlp(5);
      try {
        const { kernels } = await tf.profile(() => layered(s));
        const ran = (shapes: number[][]) =>
          kernels.some(
            (k) =>
              k.name === 'TfjsJdRowCombinations' &&
              JSON.stringify(k.inputShapes) === JSON.stringify(shapes),
          );
        // KΔⱼ of the first layer (8 inputs, 6 units) for the three tasks, as three blocks.
        expect(
          ran([
            [5, 5],
            [3, 5, 6],
          ]),
        ).toBe(true);
        // Its bias's gradient: the column sums of the combined output gradient.
        expect(
          ran([
            [1, 5],
            [5, 6],
          ]),
        ).toBe(true);
      } finally {
        s.dispose();
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('a bias folds into the block of the kernel it is added to, once per dense layer', () => {
    const s = rawMlp(4);
    try {
      const plan = planTaskGramian(s.features, s.shared);
      // Four weights, two blocks: each bias rides on its kernel's block at the addition's output.
      expect(plan.sites.filter(hasOwnBlock)).toHaveLength(2);
      expect(new Set(plan.sites.map((site) => site.output)).size).toBe(2);
    } finally {
      s.dispose();
    }
  });

  it('no fold when the kernel output is read again, or is itself a feature', () => {
    // Each scenario disposes its weights and input: fresh ones for each.
    const fresh = () => ({
      w: tf.variable(seeded([6, 4], 61)),
      b: tf.variable(seeded([4], 62)),
      x: seeded([3, 6], 63),
    });
    // z = xW feeds the bias addition and a second use: its Δ differs from that at z + b.
    const reread = () => {
      const { w, b, x } = fresh();
      return scenario(
        [w, b],
        () => {
          const z = tf.matMul(x, w);
          return [tf.tanh(tf.add(tf.add(z, b), tf.square(z)))];
        },
        [x],
      );
    };
    const asFeature = () => {
      const { w, b, x } = fresh();
      return scenario(
        [w, b],
        () => {
          const z = tf.matMul(x, w);
          return [z, tf.sigmoid(tf.add(z, b))];
        },
        [x],
      );
    };
    for (const make of [reread, asFeature]) {
      const s = make();
      try {
        expect(planTaskGramian(s.features, s.shared).sites.every(hasOwnBlock)).toBe(true);
        expectMatchesReference(s, 0);
      } finally {
        s.dispose();
      }
    }
  });

  it('a transposed input (matMul(xᵀ, W, true))', () => {
    const w = tf.variable(seeded([7, 4], 6));
    const xT = seeded([7, 3], 7);
    expectScenarioMatches(
      () => scenario([w], () => [tf.sigmoid(tf.matMul(xT, w, true, false))], [xT]),
      0,
    );
  });

  it('tf.layers Dense layers (the fused matmul they record), ReLU and linear', () => {
    const trunk = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [8], units: 6, activation: 'relu' }),
        tf.layers.dense({ units: 5 }),
      ],
    });
    const x = seeded([4, 8], 8);
    const shared = trunk.trainableWeights.map((w) => w.read() as tf.Variable);
    const s = scenario([], () => [trunk.apply(x) as tf.Tensor], [x]);
    try {
      expectMatchesReference({ ...s, shared }, 0);
    } finally {
      s.dispose();
      trunk.dispose();
    }
  });

  it('a Dense layer on a sequence ([batch, time, features]) and a bias on a rank-3 output', () => {
    const dense = tf.layers.dense({ inputShape: [3, 8], units: 5 });
    const x = seeded([2, 3, 8], 9);
    dense.build([null, 3, 8]);
    const b = tf.variable(seeded([5], 10));
    const shared = [...dense.trainableWeights.map((w) => w.read() as tf.Variable), b];
    const s = scenario([], () => [tf.tanh(tf.add(dense.apply(x) as tf.Tensor, b))], [x]);
    try {
      expectMatchesReference({ ...s, shared });
    } finally {
      s.dispose();
      tf.dispose(shared);
    }
  });

  it('a weight used twice gets explicit rows', () => {
    const w = tf.variable(seeded([5, 5], 11));
    const b = tf.variable(seeded([5], 12));
    const x = seeded([3, 5], 13);
    expectScenarioMatches(
      () =>
        scenario([w, b], () => [tf.tanh(tf.matMul(tf.tanh(tf.add(tf.matMul(x, w), b)), w))], [x]),
      1,
    );
  });

  it('a convolution kernel takes the closed form next to dense weights', () => {
    const filter = tf.variable(seeded([3, 3, 2, 4], 14)) as tf.Variable<tf.Rank.R4>;
    const w = tf.variable(seeded([4, 3], 15));
    const x = seeded([2, 5, 5, 2], 16) as tf.Tensor4D;
    expectScenarioMatches(
      () =>
        scenario(
          [filter, w],
          () => {
            const maps = tf.relu(tf.conv2d(x, filter, 1, 'valid') as tf.Tensor4D);
            return [tf.matMul(tf.mean(maps, [1, 2]) as tf.Tensor2D, w)];
          },
          [x],
        ),
      0,
    );
  });

  it('a conv trunk: two convolutions (strides 2, same padding), biases, pooling, no explicit rows', () => {
    const f1 = tf.variable(seeded([3, 3, 1, 3], 30)) as tf.Variable<tf.Rank.R4>;
    const b1 = tf.variable(seeded([3], 31));
    const f2 = tf.variable(seeded([2, 2, 3, 4], 32)) as tf.Variable<tf.Rank.R4>;
    const x = seeded([3, 8, 8, 1], 33) as tf.Tensor4D;
    expectScenarioMatches(
      () =>
        scenario(
          [f1, b1, f2],
          () => {
            const h = tf.relu(tf.add(tf.conv2d(x, f1, 2, 'same'), b1)) as tf.Tensor4D;
            const pooled = tf.maxPool(h, 2, 1, 'valid');
            const maps = tf.tanh(tf.conv2d(pooled, f2, 1, 'same'));
            return [tf.reshape(maps, [3, -1])];
          },
          [x],
        ),
      0,
    );
  });

  it('several feature tensors, one of them independent of some weights', () => {
    const w1 = tf.variable(seeded([6, 4], 17));
    const w2 = tf.variable(seeded([4, 3], 18));
    const x = seeded([3, 6], 19);
    expectScenarioMatches(
      () =>
        scenario(
          [w1, w2],
          () => {
            const h = tf.tanh(tf.matMul(x, w1));
            return [h, tf.tanh(tf.matMul(h, w2))];
          },
          [x],
        ),
      0,
    );
  });
});

describe('mtlGrads and mtlBackward on the layered-Gramian path', () => {
  afterEach(() => zeroGrad());

  function twoHeadModel() {
    const trunk = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [6],
          units: 8,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotNormal({ seed: 20 }),
          biasInitializer: tf.initializers.randomNormal({ seed: 21 }),
        }),
      ],
    });
    const heads = [22, 23, 24].map((seed) =>
      tf.layers.dense({
        units: 1,
        kernelInitializer: tf.initializers.glorotNormal({ seed }),
        inputShape: [8],
      }),
    );
    const x = seeded([10, 6], 25);
    const ys = [26, 27, 28].map((seed) => seeded([10, 1], seed));
    const fn = () => {
      const features = trunk.apply(x) as tf.Tensor;
      return {
        features,
        losses: heads.map(
          (head, i) =>
            tf.losses.meanSquaredError(ys[i], head.apply(features) as tf.Tensor) as tf.Scalar,
        ),
      };
    };
    const dispose = () => {
      trunk.dispose();
      heads.forEach((h) => h.dispose());
      tf.dispose([x, ...ys]);
    };
    return { fn, trunk, dispose };
  }

  // A hook makes the aggregator ask for the matrix, which forces the concatenated-Jacobian path.
  function withHook<T extends UPGrad | MGDA>(aggregator: T): T {
    aggregator.registerForwardHook(() => undefined);
    return aggregator;
  }

  it('mtlGrads runs the hooks of the Gramian weighting (through apply) and honours their output', () => {
    const model = twoHeadModel();
    const aggregator = new UPGrad();
    let calls = 0;
    const handle = aggregator.gramianWeighting.registerForwardHook((_w, _args, weights) => {
      calls++;
      return tf.mul(weights, 2) as tf.Tensor1D;
    });
    const plain = mtlGrads(model.fn, { aggregator: new UPGrad() });
    const hooked = mtlGrads(model.fn, { aggregator });
    try {
      expect(calls).toBe(1);
      hooked.weights!.forEach((w, i) => expect(w).toBeCloseTo(2 * plain.weights![i], 5));
    } finally {
      handle.remove();
      tf.dispose([plain.losses, plain.grads, hooked.losses, hooked.grads]);
      model.dispose();
    }
  });

  it.each([
    ['UPGrad', () => new UPGrad()],
    ['MGDA', () => new MGDA()],
  ])('mtlGrads with %s gives the Jacobian path’s gradients and weights', (_name, make) => {
    const model = twoHeadModel();
    const fast = mtlGrads(model.fn, { aggregator: make() });
    const slow = mtlGrads(model.fn, { aggregator: withHook(make()) });
    try {
      expect(Object.keys(fast.grads).sort()).toEqual(Object.keys(slow.grads).sort());
      for (const name of Object.keys(slow.grads)) {
        const a = fast.grads[name].dataSync();
        const b = slow.grads[name].dataSync();
        b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
      }
      fast.weights!.forEach((w, i) => expect(w).toBeCloseTo(slow.weights![i], 5));
    } finally {
      tf.dispose([fast.losses, fast.grads, slow.losses, slow.grads]);
      model.dispose();
    }
  });

  it('mtlBackward({ aggregator }) accumulates the Jacobian path’s gradients into .grad', () => {
    const model = twoHeadModel();
    const shared = model.trunk.trainableWeights.map((w) => w.read() as tf.Variable);
    const run = (aggregator: UPGrad) => {
      const out = record(model.fn);
      mtlBackward({ ...out, aggregator });
      const grads = shared.map((v) => Array.from(gradOf(v)!.dataSync()));
      tf.dispose([out.features, out.losses]);
      zeroGrad();
      return grads;
    };
    const fast = run(new UPGrad());
    const slow = run(withHook(new UPGrad()));
    fast.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(slow[k][i], 5)));
    expect(fast[0].some((v) => v !== 0)).toBe(true);
    model.dispose();
  });

  it('keeps tf.memory().numTensors flat over many steps', () => {
    const model = twoHeadModel();
    const aggregator = new UPGrad();
    const step = () => {
      const { losses, grads } = mtlGrads(model.fn, { aggregator });
      tf.dispose([losses, grads]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
