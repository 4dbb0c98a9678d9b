import { projectOntoSimplex } from '../../lib/linalg/simplex';
import { Rng } from '../aggregation/_matrices';

describe('projectOntoSimplex', () => {
  it('lands on the simplex, closer to y than any of many random simplex points', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 20; trial++) {
      const y = Array.from({ length: 5 }, () => 2 * rng.normal());
      const x = projectOntoSimplex(y);
      expect(x.every((v) => v >= 0)).toBe(true);
      expect(x.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
      const distance = (z: number[]) => Math.hypot(...z.map((v, i) => v - y[i]));
      for (let k = 0; k < 50; k++) {
        const raw = Array.from({ length: 5 }, () => rng.next());
        const total = raw.reduce((s, v) => s + v, 0);
        expect(distance(x)).toBeLessThanOrEqual(distance(raw.map((v) => v / total)) + 1e-12);
      }
    }
  });

  it('satisfies the projection optimality condition ⟨y − x, z − x⟩ ≤ 0 at the vertices', () => {
    // x is the projection iff that inequality holds for every z of the simplex; checking the
    // vertices eᵢ suffices by linearity.
    const rng = new Rng(5);
    for (let trial = 0; trial < 20; trial++) {
      const y = Array.from({ length: 6 }, () => 3 * rng.normal());
      const x = projectOntoSimplex(y);
      for (let i = 0; i < 6; i++) {
        const inner = x.reduce((s, xj, j) => s + (y[j] - xj) * ((i === j ? 1 : 0) - xj), 0);
        expect(inner).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it('matches hand-worked cases', () => {
    // [0.5, 0.5, 1] − 1/3 = [1/6, 1/6, 2/3] (all positive, sums to 1).
    projectOntoSimplex([0.5, 0.5, 1]).forEach((v, i) =>
      expect(v).toBeCloseTo([1 / 6, 1 / 6, 2 / 3][i], 12),
    );
    expect(projectOntoSimplex([0.2, 0.3, 0.5])).toEqual([0.2, 0.3, 0.5].map((v) => v));
    expect(projectOntoSimplex([5, -5])).toEqual([1, 0]);
    expect(projectOntoSimplex([7])).toEqual([1]);
  });
});
