import * as tf from '@tensorflow/tfjs';
import { CAGrad, CAGradWeighting } from '../../lib/aggregation/cagrad';
import { InvalidArgumentError } from '../../lib/errors';
import { fixtures, Rng, type Rows } from './_matrices';
import {
  aggregate,
  assertBadInputRejected,
  assertExpectedStructure,
  assertHooksCalled,
  assertMemoryFlat,
  assertNonConflicting,
} from './_properties';

const { typical, scaled, normal } = fixtures();
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const mean = (rows: Rows) =>
  rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);

describe('CAGrad', () => {
  it('gives [0.75, 0.75] on two orthonormal rows with c = 0.5 (by hand)', () => {
    // Normalized G = I/2: ‖g₀‖ = ½, radius r = ¼. By symmetry w* = [½, ½] and ‖g_w‖ = ½, so the
    // weights are ½ + (¼ / ½)·½ = ¾ each.
    const out = aggregate(new CAGrad({ c: 0.5 }), [
      [1, 0],
      [0, 1],
    ]);
    out.forEach((v) => expect(v).toBeCloseTo(0.75, 5));
  });

  it('maximizes the worst improvement over the ball around the mean gradient (dual check)', () => {
    // CAGrad's direction d solves max_{‖d − g₀‖ ≤ c‖g₀‖} min_i g_iᵀd. Independent check: d lies on the
    // ball's boundary and no random point of the ball does better.
    const rng = new Rng(4);
    for (const rows of normal.slice(1, 5)) {
      for (const c of [0.3, 0.8]) {
        const d = aggregate(new CAGrad({ c, normEps: 0 }), rows);
        const g0 = mean(rows);
        const radius = c * Math.hypot(...g0);
        expect(Math.abs(Math.hypot(...d.map((v, j) => v - g0[j])) - radius)).toBeLessThan(
          1e-4 * Math.max(1, radius),
        );
        const worst = (x: number[]) => Math.min(...rows.map((r) => dot(r, x)));
        const best = worst(d);
        for (let trial = 0; trial < 2000; trial++) {
          const u = g0.map(() => rng.normal());
          const scale = (radius * Math.cbrt(rng.next())) / Math.hypot(...u);
          const x = g0.map((v, j) => v + scale * u[j]);
          expect(worst(x)).toBeLessThanOrEqual(best + 1e-4 * Math.max(1, Math.abs(best)));
        }
      }
    }
  });

  it('is the mean when c = 0', () => {
    const rows = normal[3];
    const out = aggregate(new CAGrad({ c: 0 }), rows);
    mean(rows).forEach((v, j) => expect(out[j]).toBeCloseTo(v, 5));
  });

  it('properties: structure, non-conflict for c ≥ 1, hooks, bad input, memory', () => {
    for (const rows of [...typical, ...scaled])
      assertExpectedStructure(new CAGrad({ c: 0.5 }), rows);
    for (const c of [1, 2])
      for (const rows of typical) assertNonConflicting(new CAGrad({ c }), rows);
    assertHooksCalled(new CAGrad({ c: 0.5 }), typical[4]);
    assertBadInputRejected(new CAGrad({ c: 0.5 }));
    const matrix = tf.tensor2d(typical[5]);
    const aggregator = new CAGrad({ c: 0.5 });
    assertMemoryFlat(() => aggregator.apply(matrix).dispose());
    const gramian = tf.tensor2d([
      [2, 1],
      [1, 3],
    ]);
    assertMemoryFlat(() => aggregator.gramianWeighting.apply(gramian).dispose());
    tf.dispose([matrix, gramian]);
  });

  it('validates options and exposes them, like TorchJD', () => {
    expect(() => new CAGrad({ c: -1 })).toThrow(InvalidArgumentError);
    expect(() => new CAGrad({ c: -5 })).toThrow(/`c`/);
    expect(() => new CAGrad({ c: 0.5, normEps: -1e-9 })).toThrow(/`normEps`/);
    for (const c of [0, 1, 50]) expect(() => new CAGrad({ c })).not.toThrow();
    const aggregator = new CAGrad({ c: 0.5 });
    aggregator.c = 1.25;
    aggregator.normEps = 0.25;
    expect(aggregator.gramianWeighting.c).toBe(1.25);
    expect(aggregator.gramianWeighting.normEps).toBe(0.25);
    expect(() => (aggregator.c = -1e-9)).toThrow(/`c`/);
    expect(() => (new CAGradWeighting({ c: 1 }).normEps = -1)).toThrow(/`normEps`/);
  });

  it('prints as TorchJD: c as a Python float with trailing zeros stripped', () => {
    expect(new CAGrad({ c: 0.5 }).toString()).toBe('CAGrad0.5');
    expect(new CAGrad({ c: 1 }).toString()).toBe('CAGrad1.');
    expect(new CAGrad({ c: 10 }).toString()).toBe('CAGrad10.');
  });
});
