import { UpdatableCholesky } from '../../lib/linalg/updatable_cholesky';
import { Rng } from '../aggregation/_matrices';

/** A flat row-major symmetric positive definite n × n matrix `BBᵀ + I`. */
function spd(n: number, rng: Rng): Float64Array {
  const b = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
  const flat = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < n; k++) s += b[i][k] * b[j][k];
      flat[i * n + j] = s;
    }
  }
  return flat;
}

/** Checks that `factor.solve` inverts M_SS for the current S: M_SS · solve(r) = r. */
function expectSolvesSubsystem(
  factor: UpdatableCholesky,
  matrix: Float64Array,
  n: number,
  rng: Rng,
) {
  const indices = factor.indices;
  const rhs = Float64Array.from(indices, () => rng.normal());
  const z = factor.solve(rhs);
  indices.forEach((i, a) => {
    let s = 0;
    indices.forEach((j, b) => (s += matrix[i * n + j] * z[b]));
    expect(Math.abs(s - rhs[a])).toBeLessThan(1e-9 * (1 + Math.abs(rhs[a])));
  });
}

describe('UpdatableCholesky', () => {
  const n = 14;

  it('stays the factor of M_SS through random additions, removals and moves', () => {
    const rng = new Rng(1);
    const matrix = spd(n, rng);
    const factor = new UpdatableCholesky(matrix, n);
    expect(factor.reset([3, 7, 1])).toBe(true);
    expectSolvesSubsystem(factor, matrix, n, rng);
    for (let step = 0; step < 200; step++) {
      const inside = new Set(factor.indices);
      const outside = [...Array(n).keys()].filter((i) => !inside.has(i));
      const choice = rng.next();
      if (choice < 0.4 && outside.length > 0) {
        expect(factor.add(outside[Math.floor(rng.next() * outside.length)])).toBe(true);
      } else if (choice < 0.8 && factor.size > 1) {
        // Removing from the front, middle and end of the factor exercises every rotation count.
        factor.remove(factor.indices[Math.floor(rng.next() * factor.size)]);
      } else {
        const target = [...Array(n).keys()].filter(() => rng.next() < 0.5);
        if (target.length === 0) continue;
        expect(factor.moveTo(target)).toBe(true);
        expect([...factor.indices].sort((a, b) => a - b)).toEqual(target);
      }
      expectSolvesSubsystem(factor, matrix, n, rng);
    }
  });

  it('moves by updates when few indices change, and refactors when many do', () => {
    const rng = new Rng(2);
    const matrix = spd(n, rng);
    const factor = new UpdatableCholesky(matrix, n);
    factor.reset([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    factor.moveTo([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13]); // one out, one in: kept order + append
    expect(factor.indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13]);
    expectSolvesSubsystem(factor, matrix, n, rng);
    factor.moveTo([13, 12, 11, 2]); // most change: a new factorization in the target's order
    expect(factor.indices).toEqual([13, 12, 11, 2]);
    expectSolvesSubsystem(factor, matrix, n, rng);
  });

  it('reports a pivot that is not positive (a singular M_SS)', () => {
    // M = vvᵀ has rank one: any 2 × 2 principal submatrix is singular.
    const v = [1, 2, 3];
    const matrix = Float64Array.from({ length: 9 }, (_, k) => v[Math.floor(k / 3)] * v[k % 3]);
    const factor = new UpdatableCholesky(matrix, 3);
    expect(factor.add(0)).toBe(true);
    expect(factor.add(1)).toBe(false);
    expect(factor.reset([2, 0])).toBe(false);
  });

  it('appends several indices at once as a new factorization of the whole set would', () => {
    const rng = new Rng(4);
    const big = 23;
    const matrix = spd(big, rng);
    const factor = new UpdatableCholesky(matrix, big);
    expect(factor.reset([5, 0, 17])).toBe(true);
    expect(factor.append([3, 22, 9, 1, 14, 2, 8, 11])).toBe(true);
    expect(factor.indices).toEqual([5, 0, 17, 3, 22, 9, 1, 14, 2, 8, 11]);
    expectSolvesSubsystem(factor, matrix, big, rng);
    const fresh = new UpdatableCholesky(matrix, big);
    fresh.reset([...factor.indices]);
    const rhs = Float64Array.from(factor.indices, () => rng.normal());
    const [a, b] = [factor.solve(rhs), fresh.solve(rhs)];
    a.forEach((x, k) => expect(x).toBeCloseTo(b[k], 12));
  });

  it('keeps the indices before a bad pivot when appending fails', () => {
    const v = [1, 2, 3, 4];
    const matrix = Float64Array.from({ length: 16 }, (_, k) => {
      const [i, j] = [Math.floor(k / 4), k % 4];
      // vvᵀ + diag(1, 1, 0, −1): positive definite on {0, 1, 2}, indefinite once 3 joins.
      return v[i] * v[j] + (i === j ? [1, 1, 0, -1][i] : 0);
    });
    const factor = new UpdatableCholesky(matrix, 4);
    expect(factor.append([0, 1, 2, 3])).toBe(false);
    expect(factor.indices).toEqual([0, 1, 2]);
    expectSolvesSubsystem(factor, matrix, 4, new Rng(5));
  });

  it('prices a move: nothing for the same set, less than a new factorization otherwise', () => {
    const rng = new Rng(6);
    const matrix = spd(n, rng);
    const factor = new UpdatableCholesky(matrix, n);
    const start = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    factor.reset(start);
    expect(factor.moveCost([...start].reverse())).toBe(0);
    // Leaving from the end is cheaper than from the front (fewer rotations).
    expect(factor.moveCost(start.slice(0, 9))).toBeLessThan(factor.moveCost(start.slice(1)));
    const far = [10, 11, 12, 13, 0];
    expect(factor.moveCost(far)).toBeLessThanOrEqual(far.length ** 3 / 6);
    // The plan priced is the one moveTo follows, and the factor stays right.
    expect(factor.moveTo(start.slice(1).concat([13]))).toBe(true);
    expect(factor.indices).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 13]);
    expectSolvesSubsystem(factor, matrix, n, rng);
    factor.moveCost([2, 3]);
    factor.add(12); // an update after pricing invalidates the plan
    expect(factor.moveTo([2, 3, 12])).toBe(true);
    expect([...factor.indices].sort((a, b) => a - b)).toEqual([2, 3, 12]);
    expectSolvesSubsystem(factor, matrix, n, rng);
  });

  // Up to 32 indices are sorted by insertion, more by the engine's sort.
  it.each([14, 50])(
    'refactors surest first (by decreasing score), index sets as typed-array prefixes (m = %i)',
    (size) => {
      const rng = new Rng(7);
      const matrix = spd(size, rng);
      const factor = new UpdatableCholesky(matrix, size);
      factor.reset(Int32Array.of(0, 1, 2, 3, 99), 4); // only the first four entries count
      expect(factor.indices).toEqual([0, 1, 2, 3]);
      // 0 leaves: all is refactored, in order. Scores 1e-5 apart (relatively), and negative ones,
      // still sort by value.
      const scores = Float64Array.from(
        { length: size },
        (_, i) => (i % 3 === 0 ? -1 : 1) * (i + 1),
      );
      scores[9] = scores[10] * (1 + 1e-5);
      const target = Int32Array.from([...Array(size).keys()].filter((i) => i % 7 !== 0));
      expect(factor.moveTo(target, target.length, scores)).toBe(true);
      const expected = [...target].sort((a, b) => scores[b] - scores[a]);
      expect(factor.indices).toEqual(expected);
      expectSolvesSubsystem(factor, matrix, size, rng);
      factor.release();
    },
  );

  it('applies the plan it priced, and refuses one that S has moved away from', () => {
    const rng = new Rng(8);
    const matrix = spd(n, rng);
    const factor = new UpdatableCholesky(matrix, n);
    factor.reset([4, 5, 6, 7]);
    const target = Int32Array.of(4, 5, 6, 8);
    expect(factor.moveCost(target)).toBeGreaterThan(0);
    expect(factor.applyPlan()).toBe(true);
    expect(factor.indices).toEqual([4, 5, 6, 8]);
    expectSolvesSubsystem(factor, matrix, n, rng);
    expect(() => factor.applyPlan()).toThrow(); // a plan is applied once
    factor.moveCost([1, 2]);
    factor.remove(4);
    expect(() => factor.applyPlan()).toThrow();
  });

  it('solves into a given buffer', () => {
    const rng = new Rng(9);
    const matrix = spd(n, rng);
    const factor = new UpdatableCholesky(matrix, n);
    factor.reset([2, 9, 4, 11, 0]);
    const rhs = Float64Array.from({ length: 5 }, () => rng.normal());
    const out = new Float64Array(n).fill(7);
    expect(factor.solve(rhs, out)).toBe(out);
    factor.solve(rhs).forEach((z, k) => expect(out[k]).toBe(z));
    expect(out[5]).toBe(7); // past the size: untouched
  });

  // 14: the JavaScript loops; 23 and 40: WebAssembly (odd and even m, sets of every size mod 4).
  it.each([14, 23, 40])(
    'multiplies the columns S of M by a vector, on the rows asked for (m = %i)',
    (size) => {
      const rng = new Rng(size);
      const matrix = spd(size, rng);
      const factor = new UpdatableCholesky(matrix, size);
      for (const k of [0, 1, 2, 3, 4, 5, 7, 9]) {
        const set = [...Array(size).keys()].sort(() => rng.next() - 0.5).slice(0, k);
        expect(factor.reset(set)).toBe(true);
        const coefficients = Float64Array.from({ length: size }, () => rng.normal());
        const rows = Int32Array.from([...Array(size).keys()].filter((i) => i % 3 !== 1));
        const target = new Float64Array(size).fill(9);
        factor.multiply(rows, rows.length, coefficients, target);
        const order = factor.indices;
        for (let i = 0; i < size; i++) {
          let s = 0;
          order.forEach((j, t) => (s += matrix[i * size + j] * coefficients[t]));
          if (i % 3 === 1) expect(target[i]).toBe(9);
          else expect(Math.abs(target[i] - s)).toBeLessThan(1e-12 * (1 + Math.abs(s)));
        }
        expectSolvesSubsystem(factor, matrix, size, rng);
      }
      factor.release();
    },
  );
});
