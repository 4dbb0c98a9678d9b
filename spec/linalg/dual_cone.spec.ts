import {
  ActiveSetProjector,
  projectorOrDefault,
  QuadprogProjector,
} from '../../lib/linalg/dual_cone';
import { BoxQpSolver } from '../../lib/linalg/block_pivoting';
import { normalize, regularize } from '../../lib/linalg/gramian';
import { dot, matVec, type Matrix64 } from '../../lib/linalg/matrix';
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

describe('ActiveSetProjector', () => {
  it.each([
    [2, 5, 2],
    [8, 20, 8],
    [16, 10, 10],
    [40, 30, 30],
    [64, 1000, 64],
  ])('finds the same solution as quadprog (m=%i, n=%i, rank %i), satisfying KKT', (m, n, r) => {
    const rng = new Rng(100 + m);
    // A full-rank Gaussian matrix when rank = m: building an n × n orthonormal basis costs n³.
    const G = gramianOf(r === m ? rng.normals(m, n) : normalMatrix(m, n, r, rng));
    const U = Array.from({ length: m }, (_, i) =>
      Array.from({ length: m }, (_, j) => (i === j ? 1 / m : 0)),
    );
    U.push(Array.from({ length: m }, () => rng.normal()));
    const fast = new ActiveSetProjector().project(U, G);
    // quadprog is slow at m = 64 (seconds for all rows): compare a few rows, check KKT on all.
    const compared = U.length > 20 ? [0, 1, 2, U.length - 1] : U.map((_, k) => k);
    const reference = new QuadprogProjector().project(
      compared.map((k) => U[k]),
      G,
    );
    compared.forEach((k, r) =>
      fast[k].forEach((x, i) => expect(Math.abs(x - reference[r][i])).toBeLessThan(1e-9)),
    );
    const Gn = regularize(normalize(G, 1e-4), 1e-4);
    fast.forEach((v, k) => {
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

describe('projectors on extreme Gramians', () => {
  it.each([1e-10, 1e-3, 1e5, 1e15])(
    'solves the normalized problem for a Gramian scaled by %s (KKT to 1e-9)',
    (scale) => {
      const m = 12;
      const rng = new Rng(77);
      const G = gramianOf(normalMatrix(m, 20, m, rng)).map((row) => row.map((x) => x * scale));
      const Gn = regularize(normalize(G, 1e-4), 1e-4);
      const U = Array.from({ length: m }, (_, i) =>
        Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)),
      );
      for (const projector of [new ActiveSetProjector(), new QuadprogProjector()]) {
        projector.project(U, G).forEach((v, k) => {
          const lambda = matVec(Gn, v);
          const size = Math.max(1, ...v.map(Math.abs));
          for (let i = 0; i < m; i++) {
            expect(v[i] - U[k][i]).toBeGreaterThanOrEqual(-1e-9 * size);
            expect(lambda[i]).toBeGreaterThanOrEqual(-1e-9 * size);
            expect(Math.abs(lambda[i] * (v[i] - U[k][i]))).toBeLessThan(1e-9 * size * size);
          }
        });
      }
    },
  );

  it('a Gramian below normEps is zero: v = max(u, 0) up to the regularization', () => {
    // With G/trace replaced by 0, the problem is min regEps·‖v‖² s.t. v ≥ u: v = max(u, 0).
    const tiny = [
      [1e-6, 0],
      [0, 1e-6],
    ];
    for (const projector of [new ActiveSetProjector(), new QuadprogProjector()]) {
      const [v] = projector.project([[0.3, -2]], tiny);
      expect(v[0]).toBeCloseTo(0.3, 12);
      expect(v[1]).toBeCloseTo(0, 12);
    }
  });
});

describe('projectorOrDefault', () => {
  it('builds the active-set projector from the eps, or returns the given projector', () => {
    const fallback = projectorOrDefault({ regEps: 1e-6 });
    expect(fallback).toBeInstanceOf(ActiveSetProjector);
    expect(fallback.toString()).toBe('ActiveSetProjector(normEps=0.0001, regEps=0.000001)');
    const given = new QuadprogProjector();
    expect(projectorOrDefault({ projector: given })).toBe(given);
  });

  it('rejects eps values next to a projector, and bad eps values, naming them', () => {
    expect(() => projectorOrDefault({ projector: new QuadprogProjector(), regEps: 1 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => projectorOrDefault({ projector: new QuadprogProjector(), normEps: 1 })).toThrow(
      /`normEps`/,
    );
    expect(() => new ActiveSetProjector({ regEps: -1 })).toThrow(/`regEps`/);
    expect(() => new ActiveSetProjector({ normEps: NaN })).toThrow(/`normEps`/);
  });
});

describe('ActiveSetProjector when most constraints are free', () => {
  it('matches quadprog and KKT when every pair of rows conflicts (solved on the complement)', () => {
    // Rows gᵢ = eᵢ − (1.5/m)·1 have negative pairwise products, so for u = eᵢ/m the gradient at
    // x = 0 frees every j ≠ i: the free set is m − 1 and the complement formula is the one used.
    const m = 40;
    const rows = Array.from({ length: m }, (_, i) =>
      Array.from({ length: m }, (_, j) => (i === j ? 1 : 0) - 1.5 / m),
    );
    const G = rows.map((a) => rows.map((b) => dot(a, b)));
    const U = Array.from({ length: m }, (_, i) =>
      Array.from({ length: m }, (_, j) => (i === j ? 1 / m : 0)),
    );
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
});

describe('ActiveSetProjector at UPGrad scale (m up to 256)', () => {
  /** Rows of J clustered around a few prototypes, as per-example gradients of similar examples. */
  function nearDuplicateRows(m: number, n: number, prototypes: number, rng: Rng): number[][] {
    const centers = rng.normals(prototypes, n);
    return Array.from({ length: m }, (_, i) =>
      centers[i % prototypes].map((c) => c + 1e-3 * rng.normal()),
    );
  }

  it.each([
    ['Gaussian', 64, () => new Rng(64).normals(64, 1000)],
    ['Gaussian', 128, () => new Rng(128).normals(128, 1000)],
    ['Gaussian', 256, () => new Rng(256).normals(256, 1000)],
    ['rank-deficient (rank m/4)', 128, () => new Rng(7).normals(128, 32)],
    ['rank-deficient (rank m/4)', 256, () => new Rng(8).normals(256, 64)],
    ['near-duplicate', 128, () => nearDuplicateRows(128, 300, 16, new Rng(9))],
    ['near-duplicate', 256, () => nearDuplicateRows(256, 300, 24, new Rng(10))],
  ] as [string, number, () => number[][]][])(
    '%s rows, m = %i: pivoting settles for every row (no fallback), KKT holds, quadprog agrees',
    (_, m, rows) => {
      const G = gramianOf(rows());
      const Gn = regularize(normalize(G, 1e-4), 1e-4);
      const U = Array.from({ length: m }, (_, i) =>
        Array.from({ length: m }, (_, j) => (i === j ? 1 / m : 0)),
      );
      // The solver itself, not the projector: a null here would be hidden by the quadprog fallback.
      const solver = new BoxQpSolver(Gn);
      const fast = U.map((u) => solver.solve(u));
      fast.forEach((v) => expect(v).not.toBeNull());
      const scale = Math.max(...fast.map((v) => Math.max(...v!.map(Math.abs))));
      // The worst violation of each KKT condition over all rows (one expect each: jest is slow
      // at m² expects).
      let primal = 0;
      let dual = 0;
      let complementarity = 0;
      fast.forEach((v, k) => {
        const lambda = matVec(Gn, v!);
        for (let i = 0; i < m; i++) {
          primal = Math.max(primal, U[k][i] - v![i]);
          dual = Math.max(dual, -lambda[i]);
          complementarity = Math.max(complementarity, Math.abs(lambda[i] * (v![i] - U[k][i])));
        }
      });
      expect(primal).toBeLessThanOrEqual(1e-12 * scale);
      expect(dual).toBeLessThanOrEqual(1e-10 * scale);
      expect(complementarity).toBeLessThan(1e-10 * scale * scale);
      const projected = new ActiveSetProjector().project(U, G);
      projected.forEach((v, k) => expect(v).toEqual(fast[k]));
      // quadprog takes seconds per row at m = 256: compare a spread of rows.
      const compared = m > 128 ? [1, m - 1] : [0, 1, Math.floor(m / 2), m - 1];
      const reference = new QuadprogProjector().project(
        compared.map((k) => U[k]),
        G,
      );
      const gap = Math.max(
        ...compared.map((k, r) =>
          Math.max(...fast[k]!.map((x, i) => Math.abs(x - reference[r][i]))),
        ),
      );
      expect(gap).toBeLessThan(1e-9 * scale);
    },
  );
});

describe('ActiveSetProjector where block pivoting cycles', () => {
  // Rows sin(7.1 i + 1.3 j + 0.01 ij): nearly collinear, an ill-conditioned Gramian on which the
  // full exchanges of block pivoting cycle, so that Murty's single exchanges take over.
  function cyclingGramian(m: number): Matrix64 {
    const rows = Array.from({ length: m }, (_, i) =>
      Array.from({ length: 300 }, (_, j) => Math.sin(i * 7.1 + j * 1.3 + i * j * 0.01)),
    );
    return gramianOf(rows);
  }
  const unit = (m: number, i: number) => Array.from({ length: m }, (_, j) => (i === j ? 1 / m : 0));

  it.each([24, 40])('settles by Murty’s rule: KKT holds and quadprog agrees (m = %i)', (m) => {
    const G = cyclingGramian(m);
    const Gn = regularize(normalize(G, 1e-4), 1e-4);
    const solver = new BoxQpSolver(Gn);
    const U = Array.from({ length: m }, (_, i) => unit(m, i));
    const V = U.map((u) => solver.solve(u));
    solver.release();
    let primal = 0;
    let dual = 0;
    let complementarity = 0;
    V.forEach((v, k) => {
      expect(v).not.toBeNull();
      const lambda = matVec(Gn, v!);
      for (let i = 0; i < m; i++) {
        primal = Math.max(primal, U[k][i] - v![i]);
        dual = Math.max(dual, -lambda[i]);
        complementarity = Math.max(complementarity, Math.abs(lambda[i] * (v![i] - U[k][i])));
      }
    });
    expect(primal).toBeLessThanOrEqual(1e-15);
    expect(dual).toBeLessThanOrEqual(1e-12);
    expect(complementarity).toBeLessThan(1e-14);
    const compared = [0, 5, m - 1];
    const reference = new QuadprogProjector().project(
      compared.map((k) => U[k]),
      G,
    );
    compared.forEach((k, r) =>
      V[k]!.forEach((x, i) => expect(Math.abs(x - reference[r][i])).toBeLessThan(1e-9)),
    );
  });

  it('hands the rows pivoting cannot settle to quadprog (m = 40, regEps = 1e-6)', () => {
    const m = 40;
    const G = cyclingGramian(m);
    const solver = new BoxQpSolver(regularize(normalize(G, 1e-4), 1e-6));
    const U = Array.from({ length: m }, (_, i) => unit(m, i));
    const unsettled = U.filter((u) => solver.solve(u) === null);
    solver.release();
    expect(unsettled.length).toBeGreaterThan(0); // the fallback is exercised
    const projected = new ActiveSetProjector({ regEps: 1e-6 }).project(unsettled, G);
    const reference = new QuadprogProjector({ regEps: 1e-6 }).project(unsettled, G);
    expect(projected).toEqual(reference);
  });
});
