import { pseudoInverseSymmetric } from '../../lib/linalg/pseudo_inverse';
import { symmetricEigen } from '../../lib/linalg/symmetric_eigen';
import { Rng } from '../aggregation/_matrices';

type M = number[][];
const mul = (a: M, b: M): M =>
  a.map((r) => b[0].map((_, j) => r.reduce((s, x, k) => s + x * b[k][j], 0)));
const t = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
const maxDiff = (a: M, b: M) =>
  Math.max(...a.flatMap((r, i) => r.map((x, j) => Math.abs(x - b[i][j]))));

function randomSymmetric(n: number, rank: number, seed: number): M {
  const rng = new Rng(seed);
  const x = rng.normals(n, rank);
  return mul(x, t(x)); // PSD of the given rank
}

describe('symmetricEigen', () => {
  it('diagonalizes a 2×2 matrix as its closed form', () => {
    // [[2, 1], [1, 2]]: eigenvalues 1 and 3, eigenvectors (1, −1)/√2 and (1, 1)/√2.
    const { values, vectors } = symmetricEigen([
      [2, 1],
      [1, 2],
    ]);
    expect(values[0]).toBeCloseTo(1, 12);
    expect(values[1]).toBeCloseTo(3, 12);
    expect(Math.abs(vectors[0][1])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0][1] * vectors[1][1]).toBeCloseTo(0.5, 12);
  });

  it.each([
    [1, 1],
    [4, 4],
    [7, 3],
    [12, 12],
    [20, 5],
  ])('satisfies A v = λ v, VᵀV = I and ascending order (n=%i, rank=%i)', (n, rank) => {
    const a = randomSymmetric(n, rank, n + rank);
    const { values, vectors } = symmetricEigen(a);
    const scale = Math.max(...values.map(Math.abs));
    for (let k = 0; k < n; k++) {
      const v = vectors.map((row) => row[k]);
      const av = a.map((row) => row.reduce((s, x, i) => s + x * v[i], 0));
      av.forEach((x, i) => expect(Math.abs(x - values[k] * v[i])).toBeLessThan(1e-12 * scale));
      if (k > 0) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]);
    }
    const identity = a.map((r, i) => r.map((_, j) => (i === j ? 1 : 0)));
    expect(maxDiff(mul(t(vectors), vectors), identity)).toBeLessThan(1e-12);
    // rank-deficient: exactly n − rank eigenvalues are (numerically) zero
    expect(values.filter((l) => Math.abs(l) > 1e-10 * scale).length).toBe(rank);
  });

  it('handles diagonal and zero matrices', () => {
    expect(
      symmetricEigen([
        [0, 0],
        [0, 0],
      ]).values,
    ).toEqual([0, 0]);
    expect(
      symmetricEigen([
        [3, 0],
        [0, -1],
      ]).values,
    ).toEqual([-1, 3]);
  });
});

describe('pseudoInverseSymmetric', () => {
  it.each([
    [4, 4],
    [6, 2],
    [9, 5],
  ])('satisfies the Penrose conditions (n=%i, rank=%i)', (n, rank) => {
    const a = randomSymmetric(n, rank, 10 * n + rank);
    const p = pseudoInverseSymmetric(a);
    const scale = Math.max(...a.flat().map(Math.abs));
    // A A⁺ A = A and A⁺ A A⁺ = A⁺, A A⁺ symmetric.
    expect(maxDiff(mul(mul(a, p), a), a)).toBeLessThan(1e-9 * scale);
    const pap = mul(mul(p, a), p);
    expect(maxDiff(pap, p)).toBeLessThan(1e-9 * Math.max(...p.flat().map(Math.abs)));
    const ap = mul(a, p);
    expect(maxDiff(ap, t(ap))).toBeLessThan(1e-9);
  });

  it('inverts a regular matrix and zeroes the zero matrix', () => {
    // [[2, 1], [1, 1]]⁻¹ = [[1, −1], [−1, 2]] (determinant 1).
    const p = pseudoInverseSymmetric([
      [2, 1],
      [1, 1],
    ]);
    expect(
      maxDiff(p, [
        [1, -1],
        [-1, 2],
      ]),
    ).toBeLessThan(1e-12);
    expect(
      pseudoInverseSymmetric([
        [0, 0],
        [0, 0],
      ]),
    ).toEqual([
      [0, 0],
      [0, 0],
    ]);
    // [[1, 1], [1, 1]] = 2 u uᵀ with u = (1, 1)/√2: its pseudo-inverse is u uᵀ / 2.
    expect(
      maxDiff(
        pseudoInverseSymmetric([
          [1, 1],
          [1, 1],
        ]),
        [
          [0.25, 0.25],
          [0.25, 0.25],
        ],
      ),
    ).toBeLessThan(1e-12);
  });

  it('drops eigenvalues below rtol times the largest', () => {
    const p = pseudoInverseSymmetric(
      [
        [1, 0],
        [0, 1e-9],
      ],
      1e-6,
    );
    expect(p).toEqual([
      [1, 0],
      [0, 0],
    ]);
  });
});
