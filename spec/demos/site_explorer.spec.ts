/**
 * The live page's aggregator explorer, without a browser: the dual cone it shades and the
 * outputs it lists (site/explorer.ts; its DOM part is exercised by `npm run test:site`).
 */
import { aggregateAll, dualConePolygon, EXPLORER_AGGREGATORS } from '../../site/explorer_math';

type Vec = [number, number];
const angleOf = ([x, y]: Vec) => (Math.atan2(y, x) * 180) / Math.PI;

describe('dualConePolygon', () => {
  it('is the quarter plane between two orthogonal gradients', () => {
    const polygon = dualConePolygon(
      [
        [1, 0],
        [0, 1],
      ],
      2,
    )!;
    expect(polygon[0]).toEqual([0, 0]);
    const angles = polygon.slice(1).map(angleOf);
    expect(Math.min(...angles)).toBeCloseTo(0, 0);
    expect(Math.max(...angles)).toBeCloseTo(90, 0);
    for (const p of polygon.slice(1)) expect(Math.hypot(...p)).toBeCloseTo(2, 6);
  });

  it('is the wedge of directions within 90° of both of two gradients 120° apart', () => {
    // g₁ at 0°, g₂ at 120°: the cone spans 30°…90°.
    const g2: Vec = [Math.cos((2 * Math.PI) / 3), Math.sin((2 * Math.PI) / 3)];
    const angles = dualConePolygon([[1, 0], g2], 1)!
      .slice(1)
      .map(angleOf);
    expect(Math.min(...angles)).toBeCloseTo(30, 0);
    expect(Math.max(...angles)).toBeCloseTo(90, 0);
  });

  it('is only the origin for opposite gradients plus a third that breaks the tie', () => {
    expect(
      dualConePolygon(
        [
          [1, 0],
          [-1, 0.2],
          [0.1, -1],
        ],
        1,
      ),
    ).toBeNull();
  });
});

describe('aggregateAll', () => {
  // g₂ conflicts with g₁ and g₃: their mean has a negative inner product with it.
  const gradients: Vec[] = [
    [3, 0.2],
    [-1.2, 1],
    [1.6, -0.5],
  ];

  it('gives every aggregator an output and the inner products with each gradient', () => {
    const results = aggregateAll(gradients);
    expect(results.map((r) => r.name)).toEqual(EXPLORER_AGGREGATORS.map(([name]) => name));
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect(r.output).toHaveLength(2);
      r.products.forEach((p, i) =>
        expect(p).toBeCloseTo(gradients[i][0] * r.output![0] + gradients[i][1] * r.output![1], 6),
      );
    }
    const mean = results.find((r) => r.name === 'Mean')!;
    expect(mean.output![0]).toBeCloseTo((3 - 1.2 + 1.6) / 3, 5);
    expect(mean.output![1]).toBeCloseTo((0.2 + 1 - 0.5) / 3, 5);
  });

  it('puts UPGrad, DualProj and MGDA in the dual cone, and not Mean on a conflict', () => {
    const byName = Object.fromEntries(aggregateAll(gradients).map((r) => [r.name, r]));
    for (const name of ['UPGrad', 'DualProj', 'MGDA']) expect(byName[name].inDualCone).toBe(true);
    expect(byName.Mean.inDualCone).toBe(false);
    expect(byName.Mean.products[1]).toBeLessThan(0);
  });
});
