import * as tf from '@tensorflow/tfjs';
import { MoDoWeighting } from '../../lib/aggregation/modo';
import { InvalidArgumentError } from '../../lib/errors';
import { Rng } from './_matrices';
import { assertMemoryFlat } from './_properties';

type M = number[][];

/** Simplex projection by bisection on the threshold τ with Σ max(yᵢ − τ, 0) = 1 (not sorting). */
function projectBisection(y: number[]): number[] {
  let lo = Math.min(...y) - 1;
  let hi = Math.max(...y);
  for (let it = 0; it < 200; it++) {
    const tau = (lo + hi) / 2;
    if (y.reduce((s, v) => s + Math.max(v - tau, 0), 0) > 1) lo = tau;
    else hi = tau;
  }
  return y.map((v) => Math.max(v - (lo + hi) / 2, 0));
}

/** One MoDo step by hand: λ ← Π(λ − γ (M λ + ρ λ)). */
function step(M: M, lambda: number[], gamma: number, rho: number): number[] {
  return projectBisection(
    M.map(
      (row, i) =>
        lambda[i] - gamma * (row.reduce((s, x, k) => s + x * lambda[k], 0) + rho * lambda[i]),
    ),
  );
}

/** J₁ J₂ᵀ of two independent random batches (not symmetric). */
function crossMatrix(seed: number, m = 3): { rows: M; tensor: tf.Tensor2D } {
  const rng = new Rng(seed);
  const [a, b] = [rng.normals(m, 8), rng.normals(m, 8)];
  const rows = a.map((r) => b.map((s) => r.reduce((t, x, k) => t + x * s[k], 0)));
  return { rows, tensor: tf.tensor2d(rows) };
}

const values = (w: tf.Tensor1D) => {
  const v = Array.from(w.dataSync());
  w.dispose();
  return v;
};

describe('MoDoWeighting', () => {
  it('takes one projected-gradient step from uniform weights, on a non-symmetric input', () => {
    const { rows, tensor } = crossMatrix(1);
    expect(rows[0][1]).not.toBeCloseTo(rows[1][0], 3);
    const weighting = new MoDoWeighting({ gamma: 0.1, rho: 0.05 });
    const expected = step(rows, [1 / 3, 1 / 3, 1 / 3], 0.1, 0.05);
    const w = values(weighting.apply(tensor));
    w.forEach((x, i) => expect(x).toBeCloseTo(expected[i], 5));
    expect(w.every((x) => x >= 0)).toBe(true);
    expect(w.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
    tensor.dispose();
  });

  it('chains steps across calls, restarts on reset() and when m changes', () => {
    const a = crossMatrix(2);
    const b = crossMatrix(3);
    const weighting = new MoDoWeighting({ gamma: 0.5, rho: 0 });
    const lambda1 = step(a.rows, [1 / 3, 1 / 3, 1 / 3], 0.5, 0);
    const lambda2 = step(b.rows, lambda1, 0.5, 0);
    values(weighting.apply(a.tensor)).forEach((x, i) => expect(x).toBeCloseTo(lambda1[i], 5));
    values(weighting.apply(b.tensor)).forEach((x, i) => expect(x).toBeCloseTo(lambda2[i], 5));
    expect(weighting.hasState).toBe(true);
    weighting.reset();
    expect(weighting.hasState).toBe(false);
    values(weighting.apply(a.tensor)).forEach((x, i) => expect(x).toBeCloseTo(lambda1[i], 5));
    const c = crossMatrix(4, 2);
    const fresh = values(new MoDoWeighting({ gamma: 0.5, rho: 0 }).apply(c.tensor));
    expect(values(weighting.apply(c.tensor))).toEqual(fresh);
    tf.dispose([a.tensor, b.tensor, c.tensor]);
  });

  it('validates gamma, rho and the input, and names itself', () => {
    const weighting = new MoDoWeighting({ gamma: 0.1, rho: 0.05 });
    expect(weighting.toString()).toBe('MoDoWeighting(gamma=0.1, rho=0.05)');
    weighting.gamma = 1;
    weighting.rho = 0;
    expect([weighting.gamma, weighting.rho]).toEqual([1, 0]);
    for (const gamma of [0, -0.1, NaN, Infinity]) {
      expect(() => (weighting.gamma = gamma)).toThrow(/`gamma`/);
      expect(() => new MoDoWeighting({ gamma })).toThrow(InvalidArgumentError);
    }
    for (const rho of [-0.1, NaN]) expect(() => new MoDoWeighting({ rho })).toThrow(/`rho`/);
    const rectangular = tf.ones([2, 3]) as tf.Tensor2D;
    expect(() => weighting.apply(rectangular)).toThrow(/`matrix`.*square/);
    const nan = tf.tensor2d([
      [NaN, 0],
      [0, 1],
    ]);
    expect(() => weighting.apply(nan)).toThrow(/`matrix`/);
    expect(() => weighting.apply(tf.tensor1d([1]) as unknown as tf.Tensor2D)).toThrow(/`matrix`/);
    tf.dispose([rectangular, nan]);
  });

  it('keeps memory flat', () => {
    const { tensor } = crossMatrix(5);
    const weighting = new MoDoWeighting();
    assertMemoryFlat(() => weighting.apply(tensor).dispose());
    tensor.dispose();
  });
});
