import * as tf from '@tensorflow/tfjs';
import { GradVac, GradVacWeighting } from '../../lib/aggregation/gradvac';
import { PCGrad } from '../../lib/aggregation/pcgrad';
import { uniformGenerator } from '../../lib/random_stream';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures, Rng } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
} from './_properties';

const { typical, scaled } = fixtures();
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));

/**
 * The paper's update on the rows themselves (n-dimensional vectors, no Gramian), with the targets
 * kept across calls in `targets`; the orders come from the same seeded Fisher–Yates stream.
 */
function rowSpaceGradVac(
  rows: number[][],
  targets: number[][],
  uniform: () => number,
  beta: number,
  eps = 1e-8,
): number[] {
  const m = rows.length;
  const result = new Array<number>(rows[0].length).fill(0);
  for (let i = 0; i < m; i++) {
    const others = Array.from({ length: m }, (_, k) => k).filter((k) => k !== i);
    for (let a = others.length - 1; a > 0; a--) {
      const b = Math.floor(uniform() * (a + 1));
      [others[a], others[b]] = [others[b], others[a]];
    }
    let g = [...rows[i]];
    for (const j of others) {
      const phi = dot(g, rows[j]) / (norm(g) * norm(rows[j]) + eps);
      const target = targets[i][j];
      if (phi < target) {
        const w =
          (norm(g) * (target * Math.sqrt(1 - phi * phi) - phi * Math.sqrt(1 - target * target))) /
          (norm(rows[j]) * Math.sqrt(1 - target * target) + eps);
        g = g.map((x, k) => x + w * rows[j][k]);
      }
      targets[i][j] = (1 - beta) * target + beta * phi;
    }
    g.forEach((x, k) => (result[k] += x));
  }
  return result;
}

describe('GradVac', () => {
  it('matches TorchJD documented values (PCGrad on the first call)', () => {
    // TorchJD test_values.py: GradVac()(J) ≈ [0.5848, 3.8012, 3.8012], as PCGrad: with targets 0
    // the correction of a conflicting pair is exactly PCGrad's projection.
    const rows = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    aggregate(new GradVac(), rows).forEach((v, i) =>
      expect(v).toBeCloseTo([0.5848, 3.8012, 3.8012][i], 4),
    );
    expect(aggregate(new GradVac(), rows)).toEqual(aggregate(new PCGrad(), rows));
  });

  it.each([
    [3, 0.5],
    [5, 0.3],
    [6, 1],
  ])('matches the update on the rows over several calls, m=%i, beta=%f', (m, beta) => {
    const rng = new Rng(m);
    const aggregator = new GradVac({ beta, seed: 9 });
    const uniform = uniformGenerator(9);
    const targets = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    for (let step = 0; step < 4; step++) {
      const rows = rng.normals(m, 5);
      const expected = rowSpaceGradVac(rows, targets, uniform, beta);
      aggregate(aggregator, rows).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 3));
    }
  });

  it('keeps state across calls, clears it with reset(), and re-initializes when m changes', () => {
    const rows = new Rng(4).normals(3, 8);
    const aggregator = new GradVac({ beta: 0.5, seed: 7 });
    expect(aggregator.gramianWeighting.hasState).toBe(false);
    const first = aggregate(aggregator, rows);
    const second = aggregate(aggregator, rows);
    expect(aggregator.gramianWeighting.hasState).toBe(true);
    expect(second.some((x, i) => Math.abs(x - first[i]) > 1e-4)).toBe(true);
    aggregator.reset();
    expect(aggregator.gramianWeighting.hasState).toBe(false);
    expect(aggregate(aggregator, rows)).toEqual(first);
    expect(aggregate(new GradVac({ beta: 0.5, seed: 7 }), rows)).toEqual(first);
    // A different number of rows starts from fresh targets instead of failing.
    expect(aggregate(aggregator, rows.slice(0, 2)).every(Number.isFinite)).toBe(true);
  });

  it('agrees with its weighting: A(J) = W(J Jᵀ)ᵀ J', () => {
    const rows = new Rng(5).normals(3, 8);
    const expected = aggregate(new GradVac({ beta: 0.3, seed: 42 }), rows);
    const result = tf.tidy(() => {
      const J = tf.tensor2d(rows);
      const w = new GradVacWeighting({ beta: 0.3, seed: 42 }).apply(
        tf.matMul(J, J, false, true) as tf.Tensor2D,
      );
      return Array.from(tf.matMul(w.reshape([1, -1]), J).dataSync());
    });
    result.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
  });

  it('has the expected structure on typical and scaled matrices', () => {
    for (const rows of [...typical, ...scaled]) {
      assertExpectedStructure(new GradVac({ seed: 0 }), rows);
    }
  });

  it('validates and exposes beta and eps, and names itself', () => {
    const aggregator = new GradVac();
    expect([aggregator.beta, aggregator.eps]).toEqual([0.5, 1e-8]);
    expect(aggregator.toString()).toBe('GradVac');
    aggregator.beta = 0.25;
    aggregator.eps = 1e-6;
    expect([aggregator.gramianWeighting.beta, aggregator.gramianWeighting.eps]).toEqual([
      0.25, 1e-6,
    ]);
    for (const beta of [-0.1, 1.1, NaN]) {
      expect(() => new GradVac({ beta })).toThrow(InvalidArgumentError);
      expect(() => (aggregator.beta = beta)).toThrow(/`beta`/);
    }
    expect(() => new GradVacWeighting({ eps: -1e-9 })).toThrow(/`eps`/);
    expect(() => (aggregator.eps = -1e-9)).toThrow(/`eps`/);
    expect(() => new GradVac({ seed: 0.5 })).toThrow(/`seed`/);
  });

  it('rejects bad input, calls hooks and keeps memory flat', () => {
    assertBadInputRejected(new GradVac());
    assertHooksCalled(new GradVac(), typical[5]);
    const aggregator = new GradVac();
    const J = tf.tensor2d(typical[5]);
    assertMemoryFlat(() => aggregator.apply(J).dispose());
    J.dispose();
  });
});
