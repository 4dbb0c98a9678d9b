import * as tf from '@tensorflow/tfjs';
import { IMTL } from '../../lib/aggregation/imtl';
import { IMTLG } from '../../lib/aggregation/imtl_g';
import { isLossAware } from '../../lib/aggregation/loss_aware';
import { mtlGrads } from '../../lib/autojac';
import { Rng } from './_matrices';
import {
  aggregateWithLosses,
  assertRejectedBeforeStateChanges,
  libmtlCases,
  maxErrorOverSteps,
  assertMemoryFlatDirectlyAndUnderMtlGrads,
} from './_libmtl';
import { aggregate } from './_properties';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (v: number[]) => Math.sqrt(dot(v, v));

/** Solves `A x = b` (small, dense) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const M = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = M[r][n];
    for (let k = r + 1; k < n; k++) sum -= M[r][k] * x[k];
    x[r] = sum / M[r][r];
  }
  return x;
}

/**
 * The paper's IMTL on the rows: the closed form of IMTL-G, `α₂..ₘ = g₁ Uᵀ (D Uᵀ)⁻¹` with
 * `D = g₁ − gᵢ`, `U = u₁ − uᵢ` (i ≥ 2), `α₁ = 1 − Σ`, on the scaled gradients `e^{sᵢ} gᵢ`, then
 * `s ← s − lr (e^s L − 1)`.
 */
function paperIMTL(rows: number[][][], losses: number[][], lr: number): number[][] {
  const m = rows[0].length;
  let s = new Array<number>(m).fill(0);
  return rows.map((J, t) => {
    const g = J.map((r, i) => r.map((x) => Math.exp(s[i]) * x));
    const u = g.map((r) => r.map((x) => x / norm(r)));
    const D = g.slice(1).map((r) => r.map((x, k) => g[0][k] - x));
    const U = u.slice(1).map((r) => r.map((x, k) => u[0][k] - x));
    // α (D Uᵀ) = g₁ Uᵀ  ⇔  (D Uᵀ)ᵀ αᵀ = U g₁ᵀ
    const DUt = D.map((d) => U.map((v) => dot(d, v)));
    const rest = solve(
      DUt[0].map((_, j) => DUt.map((row) => row[j])),
      U.map((v) => dot(g[0], v)),
    );
    const alpha = [1 - rest.reduce((a, b) => a + b, 0), ...rest];
    s = s.map((si, i) => si - lr * (Math.exp(si) * losses[t][i] - 1));
    return g[0].map((_, k) => g.reduce((acc, r, i) => acc + alpha[i] * r[k], 0));
  });
}

describe('IMTL', () => {
  it('matches LibMTL (loss scales stepped by SGD) over every step', () => {
    let worst = 0;
    for (const reference of libmtlCases('imtl')) {
      worst = Math.max(worst, maxErrorOverSteps(new IMTL({ lr: reference.lr! }), reference));
    }
    expect(worst).toBeLessThan(5e-6);
  });

  it.each([
    [2, 4, 0.1],
    [3, 6, 0.5],
    [4, 9, 0.05],
  ])('follows the paper’s closed form, m=%i n=%i lr=%f', (m, n, lr) => {
    const rng = new Rng(7 * m + n);
    const rows = Array.from({ length: 6 }, () => rng.normals(m, n));
    const losses = rows.map((_, t) => rows[0].map((_r, i) => (0.5 + i) * Math.pow(0.8, t)));
    const expected = paperIMTL(rows, losses, lr);
    const aggregator = new IMTL({ lr });
    rows.forEach((J, t) => {
      const actual = aggregateWithLosses(aggregator, J, losses[t]);
      const scale = 1 + norm(expected[t]);
      actual.forEach((v, k) => expect(Math.abs(v - expected[t][k]) / scale).toBeLessThan(1e-4));
    });
  });

  it('is impartial: equal projections on every scaled gradient’s unit vector', () => {
    const rows = new Rng(3).normals(3, 7);
    const aggregator = new IMTL({ lr: 0.3 });
    aggregateWithLosses(aggregator, rows, [2, 0.5, 1]);
    const scales = aggregator.logScales!.map(Math.exp);
    const direction = aggregateWithLosses(aggregator, rows, [2, 0.5, 1]);
    expect(aggregator.scales).toEqual(scales);
    const projections = rows.map((r) => dot(direction, r) / norm(r));
    projections.forEach((p) => expect(p).toBeCloseTo(projections[0], 3));
    // On the first call (s = 0) it is IMTL-G.
    const first = aggregateWithLosses(new IMTL(), rows, [2, 0.5, 1]);
    aggregate(new IMTLG(), rows).forEach((v, k) => expect(first[k]).toBeCloseTo(v, 5));
  });

  it('learns the scales of IMTL-L: e^{s} L → 1 for fixed losses', () => {
    const rows = new Rng(4).normals(2, 3);
    const aggregator = new IMTL({ lr: 0.2 });
    for (let t = 0; t < 300; t++) aggregateWithLosses(aggregator, rows, [4, 0.25]);
    const [s1, s2] = aggregator.logScales!;
    expect(s1).toBeCloseTo(-Math.log(4), 6);
    expect(s2).toBeCloseTo(Math.log(4), 6);
  });

  it('equals IMTLG on losses scaled in the forward pass with an optimizer-trained log-scale', () => {
    // The alternative the JSDoc describes: e^{sᵢ} Lᵢ − sᵢ in the forward pass, s a tf.Variable that
    // mtlGrads treats as a task parameter of every loss (gradient e^{s} ⊙ L − 1), IMTLG on top.
    const lr = 0.05;
    const start = [0.5, -1, 2, 0.3];
    const run = (scaledInForward: boolean): number[][] => {
      const shared = tf.variable(tf.tensor1d(start), true, `imtl_eq_shared_${scaledInForward}`);
      const logScale = tf.variable(tf.zeros([2]), true, `imtl_eq_s_${scaledInForward}`);
      const aggregator = scaledInForward ? new IMTLG() : new IMTL({ lr });
      const optimizer = tf.train.sgd(lr);
      const trajectory: number[][] = [];
      for (let t = 0; t < 5; t++) {
        const { losses, grads } = mtlGrads(
          () => {
            const features = tf.tanh(shared);
            const raw = [
              tf.sum(tf.square(tf.sub(features, 0.2))),
              tf.sum(tf.mul(features, [1, 2, 0, -1])),
            ];
            const plus = raw.map((l) => tf.add(l, 3) as tf.Scalar);
            if (!scaledInForward) return { features, losses: plus };
            const scales = tf.unstack(logScale);
            return {
              features,
              losses: plus.map(
                (l, i) => tf.sub(tf.mul(tf.exp(scales[i]), l), scales[i]) as tf.Scalar,
              ),
            };
          },
          { aggregator },
        );
        optimizer.applyGradients(grads);
        tf.dispose([losses, grads]);
        trajectory.push(Array.from(shared.dataSync()));
      }
      tf.dispose([shared, logScale]);
      optimizer.dispose();
      return trajectory;
    };
    const internal = run(false);
    const external = run(true);
    internal.forEach((row, t) => row.forEach((v, k) => expect(v).toBeCloseTo(external[t][k], 5)));
    expect(internal[4]).not.toEqual(internal[0]);
  });

  it('keeps the log-scales across calls; reset() and a change in the number of tasks restart', () => {
    const rows = new Rng(5).normals(3, 4);
    const aggregator = new IMTL();
    const first = aggregateWithLosses(aggregator, rows, [1, 2, 3]);
    const second = aggregateWithLosses(aggregator, rows, [1, 2, 3]);
    expect(second.some((x, i) => Math.abs(x - first[i]) > 1e-5)).toBe(true);
    aggregator.reset();
    expect(aggregator.logScales).toBeUndefined();
    expect(aggregateWithLosses(aggregator, rows, [1, 2, 3])).toEqual(first);
    const fresh = aggregateWithLosses(new IMTL(), rows.slice(0, 2), [1, 2]);
    expect(aggregateWithLosses(aggregator, rows.slice(0, 2), [1, 2])).toEqual(fresh);
  });

  it('validates its options and names itself', () => {
    expect(new IMTL().toString()).toBe('IMTL(lr=0.1)');
    expect(isLossAware(new IMTL())).toBe(true);
    expect(() => new IMTL({ lr: 0 })).toThrow(/`lr`/);
    expect(() => new IMTL({ lr: NaN })).toThrow(/`lr`/);
  });

  it('rejects bad matrices and losses before its state changes', () => {
    assertRejectedBeforeStateChanges(() => new IMTL(), new Rng(8).normals(3, 5), [1, 0.5, 2]);
  });

  it('keeps the tensor count flat, directly and under mtlGrads', () => {
    assertMemoryFlatDirectlyAndUnderMtlGrads(new IMTL());
  });
});
