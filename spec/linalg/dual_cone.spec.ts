import { ActiveSetProjector, QuadprogProjector } from '../../lib/linalg/dual_cone';
import { cholesky, invertLowerTriangular } from '../../lib/linalg/cholesky';
import { normalize, regularize } from '../../lib/linalg/gramian';
import { dot, matVec, type Matrix64 } from '../../lib/linalg/matrix';
import { projectOntoSimplex } from '../../lib/linalg/simplex';
import { InvalidArgumentError, NumericalError } from '../../lib/errors';
import { normalMatrix, Rng } from '../aggregation/_matrices';

function gramianOf(rows: number[][]): Matrix64 {
  return rows.map((a) => rows.map((b) => dot(a, b)));
}

describe('QuadprogProjector', () => {
  it.each([
    [3, 5, 3],
    [8, 20, 8],
    [16, 10, 10],
    [32, 64, 32],
  ])('satisfies the KKT conditions of min vᵀGv s.t. v ≥ u (m=%i, n=%i, rank %i)', (m, n, r) => {
    const rng = new Rng(m);
    const G = gramianOf(normalMatrix(m, n, r, rng));
    const projector = new QuadprogProjector({ regEps: 1e-6, normEps: 0 });
    const U = Array.from({ length: m }, () => Array.from({ length: m }, () => rng.normal()));
    // The projector solves the problem on G/trace(G) + regEps·I (rank-deficient G needs regEps).
    const Gn = regularize(normalize(G, 0), 1e-6);
    const V = projector.project(U, G);
    V.forEach((v, k) => {
      const u = U[k];
      const lambda = matVec(Gn, v).map((x) => 2 * x); // stationarity: 2Gv − λ = 0
      for (let i = 0; i < m; i++) {
        expect(v[i] - u[i]).toBeGreaterThanOrEqual(-1e-9); // primal feasibility
        expect(lambda[i]).toBeGreaterThanOrEqual(-1e-8); // dual feasibility
        expect(Math.abs(lambda[i] * (v[i] - u[i]))).toBeLessThan(1e-8); // complementary slackness
      }
    });
  });

  it('returns the zero-Gramian solution v = max(u, 0)… as quadprog does on eps·I', () => {
    const projector = new QuadprogProjector();
    const [v] = projector.project(
      [[0.5, -1]],
      [
        [0, 0],
        [0, 0],
      ],
    );
    expect(v[0]).toBeCloseTo(0.5, 12);
    expect(v[1]).toBeCloseTo(0, 12);
  });

  it('throws NumericalError, never NaN, when the Gramian cannot be factorized', () => {
    const projector = new QuadprogProjector({ regEps: 0, normEps: 0 });
    expect(() =>
      projector.project(
        [[1, 0]],
        [
          [1, 2],
          [2, 1],
        ],
      ),
    ).toThrow(NumericalError);
    expect(() =>
      projector.project(
        [[1, 0]],
        [
          [NaN, 0],
          [0, 1],
        ],
      ),
    ).toThrow(NumericalError);
  });

  it('rejects negative or non-finite options', () => {
    expect(() => new QuadprogProjector({ normEps: -1 })).toThrow(InvalidArgumentError);
    expect(() => new QuadprogProjector({ regEps: Infinity })).toThrow(/`regEps`/);
    expect(new QuadprogProjector().toString()).toBe(
      'QuadprogProjector(normEps=0.0001, regEps=0.0001)',
    );
  });
});

describe('small float64 helpers', () => {
  it('normalize divides by the trace, or zeroes a Gramian whose trace is below eps', () => {
    expect(
      normalize(
        [
          [2, 1],
          [1, 2],
        ],
        1e-4,
      ),
    ).toEqual([
      [0.5, 0.25],
      [0.25, 0.5],
    ]);
    expect(
      normalize(
        [
          [1e-5, 0],
          [0, 1e-5],
        ],
        1e-4,
      ),
    ).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(
      regularize(
        [
          [1, 2],
          [3, 4],
        ],
        0.5,
      ),
    ).toEqual([
      [1.5, 2],
      [3, 4.5],
    ]);
  });

  it('cholesky reconstructs A = L Lᵀ and the triangular inverse is an inverse', () => {
    const A = gramianOf(normalMatrix(5, 7, 5, new Rng(9)));
    const L = cholesky(A);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        expect(dot(L[i], L[j])).toBeCloseTo(A[i][j], 10);
        if (j > i) expect(L[i][j]).toBe(0);
      }
    }
    const inverse = invertLowerTriangular(L);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        const product = L[i].reduce((s, x, k) => s + x * inverse[k][j], 0);
        expect(product).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
  });

  it('projectOntoSimplex lands on the simplex and is the closest point among random ones', () => {
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
    projectOntoSimplex([0.5, 0.5, 1]).forEach((v, i) =>
      expect(v).toBeCloseTo([1 / 6, 1 / 6, 2 / 3][i], 12),
    );
  });
});

describe('ActiveSetProjector', () => {
  it.each([
    [2, 5, 2],
    [8, 20, 8],
    [16, 10, 10],
    [40, 30, 30],
    [64, 1000, 64],
  ])('finds the same solution as quadprog (m=%i, n=%i, rank %i), satisfying KKT', (m, n, r) => {
    const rng = new Rng(100 + m);
    const G = gramianOf(normalMatrix(m, n, r, rng));
    const U = Array.from({ length: m }, (_, i) =>
      Array.from({ length: m }, (_, j) => (i === j ? 1 / m : 0)),
    );
    U.push(Array.from({ length: m }, () => rng.normal()));
    const fast = new ActiveSetProjector().project(U, G);
    const reference = new QuadprogProjector().project(U, G);
    const Gn = regularize(normalize(G, 1e-4), 1e-4);
    fast.forEach((v, k) => {
      v.forEach((x, i) => expect(Math.abs(x - reference[k][i])).toBeLessThan(1e-9));
      const lambda = matVec(Gn, v);
      for (let i = 0; i < m; i++) {
        expect(v[i] - U[k][i]).toBeGreaterThanOrEqual(-1e-12);
        expect(lambda[i]).toBeGreaterThanOrEqual(-1e-10);
        expect(Math.abs(lambda[i] * (v[i] - U[k][i]))).toBeLessThan(1e-10);
      }
    });
  });

  it('throws NumericalError on a non-finite Gramian', () => {
    expect(() =>
      new ActiveSetProjector().project(
        [[1, 0]],
        [
          [NaN, 0],
          [0, 1],
        ],
      ),
    ).toThrow(NumericalError);
  });
});
