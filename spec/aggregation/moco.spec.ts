import { isLossAware } from '../../lib/aggregation/loss_aware';
import { MoCo } from '../../lib/aggregation/moco';
import { InvalidArgumentError } from '../../lib/errors';
import { projectOntoSimplex } from '../../lib/linalg/simplex';
import { Rng } from './_matrices';
import {
  aggregateWithLosses,
  assertRejectedBeforeStateChanges,
  libmtlCases,
  maxErrorOverSteps,
  assertMemoryFlatDirectlyAndUnderMtlGrads,
} from './_libmtl';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (v: number[]) => Math.sqrt(dot(v, v));

/** The paper's MoCo on the rows in float64, with the authors' loss-scaled gradients. */
function paperMoCo(
  rows: number[][][],
  losses: number[][],
  o: { beta: number; betaSigma: number; gamma: number; gammaSigma: number; rho: number },
): number[][] {
  const m = rows[0].length;
  const n = rows[0][0].length;
  let y = Array.from({ length: m }, () => new Array<number>(n).fill(0));
  let lambda = new Array<number>(m).fill(1 / m);
  return rows.map((J, index) => {
    const t = index + 1;
    const beta = o.beta / Math.pow(t, o.betaSigma);
    const gamma = o.gamma / Math.pow(t, o.gammaSigma);
    const h = J.map((g, i) => g.map((x) => (x / (norm(g) + 1e-8)) * losses[index][i]));
    y = y.map((yi, i) => yi.map((x, k) => x - beta * (x - h[i][k])));
    // (Y Yᵀ + ρI) λ
    const grad = y.map(
      (yi, i) => y.reduce((s, yj, j) => s + dot(yi, yj) * lambda[j], 0) + o.rho * lambda[i],
    );
    lambda = projectOntoSimplex(lambda.map((l, i) => l - gamma * grad[i]));
    return Array.from({ length: n }, (_, k) => y.reduce((s, yi, i) => s + lambda[i] * yi[k], 0));
  });
}

describe('MoCo', () => {
  it('matches LibMTL (softmax onto the simplex) over every step', () => {
    let worst = 0;
    for (const reference of libmtlCases('moco')) {
      const k = reference.kwargs;
      const aggregator = new MoCo({
        beta: k.MoCo_beta,
        betaSigma: k.MoCo_beta_sigma,
        gamma: k.MoCo_gamma,
        gammaSigma: k.MoCo_gamma_sigma,
        rho: k.MoCo_rho,
        simplex: 'softmax',
      });
      worst = Math.max(worst, maxErrorOverSteps(aggregator, reference));
    }
    expect(worst).toBeLessThan(5e-6);
  });

  it.each([
    [2, 5, { beta: 0.5, betaSigma: 0.5, gamma: 0.1, gammaSigma: 0.5, rho: 0 }],
    [3, 7, { beta: 0.3, betaSigma: 0.2, gamma: 0.5, gammaSigma: 0.3, rho: 0.1 }],
    [4, 6, { beta: 1, betaSigma: 0, gamma: 2, gammaSigma: 0, rho: 0 }],
  ])('follows the paper (projection onto the simplex), m=%i n=%i %p', (m, n, options) => {
    const rng = new Rng(m + n);
    const base = rng.normals(m, n);
    const rows = Array.from({ length: 10 }, () =>
      base.map((r) => r.map((x) => x + 0.5 * rng.normal())),
    );
    const losses = rows.map((_, t) => base.map((_r, i) => (1 + i) * Math.pow(0.9, t)));
    const expected = paperMoCo(rows, losses, options);
    const aggregator = new MoCo(options);
    rows.forEach((J, t) => {
      aggregateWithLosses(aggregator, J, losses[t]).forEach((v, k) =>
        expect(v).toBeCloseTo(expected[t][k], 4),
      );
      const lambda = aggregator.lambda;
      expect(lambda.every((l) => l >= 0)).toBe(true);
      expect(lambda.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    });
  });

  it('on a fixed Jacobian, converges to the minimum-norm point of the convex hull (MGDA)', () => {
    const g1 = [2, 0, 1];
    const g2 = [-1, 1, 0];
    const aggregator = new MoCo({ betaSigma: 0, gammaSigma: 0, gamma: 0.2, lossScaled: false });
    for (let t = 0; t < 500; t++) aggregateWithLosses(aggregator, [g1, g2], [1, 1]);
    const diff = g1.map((x, i) => x - g2[i]);
    const expected = Math.min(
      Math.max(
        dot(
          g2,
          g2.map((x, i) => x - g1[i]),
        ) / dot(diff, diff),
        0,
      ),
      1,
    );
    const [l1, l2] = aggregator.lambda;
    expect(l1).toBeCloseTo(expected, 6);
    expect(l2).toBeCloseTo(1 - expected, 6);
    const direction = aggregateWithLosses(aggregator, [g1, g2], [1, 1]);
    // The min-norm point has equal inner products with both gradients.
    expect(dot(direction, g1)).toBeCloseTo(dot(direction, g2), 4);
  });

  it('uses the losses only through the loss-scaled gradients', () => {
    const rows = new Rng(4).normals(2, 4);
    const scaled = new MoCo();
    const unscaled = new MoCo({ lossScaled: false });
    const a = aggregateWithLosses(scaled, rows, [2, 3]);
    const normalized = rows.map((r, i) => r.map((x) => (x / (norm(r) + 1e-8)) * [2, 3][i]));
    const b = aggregateWithLosses(unscaled, normalized, [7, 7]);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
  });

  it('keeps its estimates across calls; reset() and a change of shape restart', () => {
    const rows = new Rng(5).normals(3, 4);
    const losses = [1, 2, 3];
    const aggregator = new MoCo();
    const first = aggregateWithLosses(aggregator, rows, losses);
    const second = aggregateWithLosses(aggregator, rows, losses);
    expect(second.some((x, i) => Math.abs(x - first[i]) > 1e-6)).toBe(true);
    aggregator.reset();
    expect(aggregator.lambda).toEqual([]);
    expect(aggregateWithLosses(aggregator, rows, losses)).toEqual(first);
    const fresh = aggregateWithLosses(new MoCo(), rows.slice(0, 2), [1, 2]);
    expect(aggregateWithLosses(aggregator, rows.slice(0, 2), [1, 2])).toEqual(fresh);
  });

  it('validates its options and names itself', () => {
    expect(new MoCo().toString()).toBe('MoCo(beta=0.5, gamma=0.1, rho=0)');
    expect(new MoCo({ simplex: 'softmax' }).toString()).toBe(
      'MoCo(beta=0.5, gamma=0.1, rho=0, softmax)',
    );
    expect(isLossAware(new MoCo())).toBe(true);
    expect(() => new MoCo({ beta: 0 })).toThrow(/`beta`/);
    expect(() => new MoCo({ beta: 1.5 })).toThrow(/`beta`/);
    expect(() => new MoCo({ betaSigma: -1 })).toThrow(/`betaSigma`/);
    expect(() => new MoCo({ gamma: 0 })).toThrow(/`gamma`/);
    expect(() => new MoCo({ gammaSigma: NaN })).toThrow(/`gammaSigma`/);
    expect(() => new MoCo({ rho: -0.1 })).toThrow(/`rho`/);
    expect(() => new MoCo({ simplex: 'sparsemax' as 'softmax' })).toThrow(/`simplex`/);
    expect(() => new MoCo({ lossScaled: 1 as unknown as boolean })).toThrow(InvalidArgumentError);
  });

  it('rejects bad matrices and losses before its state changes', () => {
    assertRejectedBeforeStateChanges(() => new MoCo(), new Rng(8).normals(3, 5), [1, 0.5, 2]);
  });

  it('keeps the tensor count flat, directly and under mtlGrads', () => {
    assertMemoryFlatDirectlyAndUnderMtlGrads(new MoCo());
  });
});
