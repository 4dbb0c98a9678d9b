import { BoxQpSolver, solveBoxQp } from '../../lib/linalg/block_pivoting';
import { Rng } from '../aggregation/_matrices';

/** `JJᵀ + εI` for a random `m × n` J: a Gramian as UPGrad sees it (regularized). */
function gramian(m: number, n: number, rng: Rng, correlation = 0): number[][] {
  const shared = Array.from({ length: n }, () => rng.normal());
  const rows = Array.from({ length: m }, (_, i) =>
    Array.from(
      { length: n },
      (_, k) => rng.normal() + (i % 2 === 0 ? correlation : -correlation) * shared[k],
    ),
  );
  return rows.map((a, i) =>
    rows.map((b, j) => a.reduce((s, x, k) => s + x * b[k], 0) + (i === j ? 1e-4 : 0)),
  );
}

/** KKT of `min vᵀGv s.t. v ≥ u`: v ≥ u, Gv ≥ 0, and (Gv)ᵢ(vᵢ − uᵢ) = 0. */
function expectKkt(G: number[][], u: number[], v: number[]): void {
  const scale = Math.max(...G.map((row, i) => row[i]));
  const gv = G.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
  v.forEach((vi, i) => {
    expect(vi - u[i]).toBeGreaterThanOrEqual(-1e-12);
    expect(gv[i]).toBeGreaterThanOrEqual(-1e-8 * scale);
    expect(Math.abs(gv[i] * (vi - u[i]))).toBeLessThan(1e-8 * scale);
  });
}

describe('BoxQpSolver', () => {
  // Anti-correlated halves give larger free sets (|F| around m/2 or more, solved on F).
  it.each([
    [8, 0],
    [40, 0],
    [40, 3],
    [90, 2],
  ])('satisfies the KKT conditions for every unit u (m = %i, correlation %d)', (m, correlation) => {
    const rng = new Rng(m + correlation);
    const G = gramian(m, 2 * m, rng, correlation);
    const solver = new BoxQpSolver(G);
    for (let i = 0; i < m; i++) {
      const u = Array.from({ length: m }, (_, j) => (i === j ? 1 : 0));
      const v = solver.solve(u);
      expect(v).not.toBeNull();
      expectKkt(G, u, v!);
    }
  });

  it.each([21, 48])(
    'solves on the complement through G⁻¹ where nearly every row conflicts (m = %i)',
    (m) => {
      // Rows e_i − 1.5/m: every pair of rows conflicts, so the free sets are nearly everything.
      const rng = new Rng(m);
      const rows = Array.from({ length: m }, (_, i) =>
        Array.from({ length: m }, (_, j) => (i === j ? 1 : 0) - 1.5 / m + 0.01 * rng.normal()),
      );
      const G = rows.map((a, i) =>
        rows.map((b, j) => a.reduce((s, x, k) => s + x * b[k], 0) + (i === j ? 1e-4 : 0)),
      );
      const solver = new BoxQpSolver(G);
      let largestFree = 0;
      for (let i = 0; i < m; i++) {
        const u = Array.from({ length: m }, (_, j) => (i === j ? 1 : 0));
        const v = solver.solve(u);
        expect(v).not.toBeNull();
        expectKkt(G, u, v!);
        largestFree = Math.max(largestFree, v!.filter((x, j) => x > u[j]).length);
      }
      expect(largestFree).toBeGreaterThan((3 * m) / 4);
      solver.release();
    },
  );

  it('gives the same solutions whatever was solved before (factors carried over between calls)', () => {
    const m = 50;
    const rng = new Rng(9);
    const G = gramian(m, 80, rng, 2);
    const us = Array.from({ length: 30 }, () => Array.from({ length: m }, () => rng.normal()));
    const shared = new BoxQpSolver(G);
    for (const u of us) {
      const v = shared.solve(u)!;
      const fresh = solveBoxQp(G, u)!;
      expectKkt(G, u, v);
      v.forEach((x, i) => expect(Math.abs(x - fresh[i])).toBeLessThan(1e-9 * (1 + Math.abs(x))));
    }
  });

  it('gives the same solutions in any order at m = 160 (factors of F and of A reused, swapped)', () => {
    // Correlated halves: free sets around half of m, some above (on A through G⁻¹), some below.
    const m = 160;
    const G = gramian(m, 120, new Rng(11), 1);
    const us = Array.from({ length: m }, (_, i) =>
      Array.from({ length: m }, (_, j) => (i === j ? 1 : 0)),
    );
    const forward = new BoxQpSolver(G);
    const backward = new BoxQpSolver(G);
    const inOrder = us.map((u) => forward.solve(u)!);
    const reversed = [...us]
      .reverse()
      .map((u) => backward.solve(u)!)
      .reverse();
    let gap = 0;
    inOrder.forEach((v, k) => {
      expect(v).not.toBeNull();
      expect(reversed[k]).not.toBeNull();
      v.forEach((x, i) => (gap = Math.max(gap, Math.abs(x - reversed[k][i]) / (1 + Math.abs(x)))));
    });
    expect(gap).toBeLessThan(1e-9);
    for (const k of [0, 37, 159]) {
      const fresh = solveBoxQp(G, us[k])!;
      inOrder[k].forEach((x, i) =>
        expect(Math.abs(x - fresh[i])).toBeLessThan(1e-9 * (1 + Math.abs(x))),
      );
      expectKkt(G, us[k], inOrder[k]);
    }
  });

  it('gives the same solutions without WebAssembly (the JavaScript kernel) as with it', () => {
    const m = 72;
    const G = gramian(m, 100, new Rng(12), 1);
    const us = Array.from({ length: 12 }, (_, i) =>
      Array.from({ length: m }, (_, j) => (j === 5 * i ? 1 : 0)),
    );
    const withSimd = new BoxQpSolver(G);
    const simd = us.map((u) => withSimd.solve(u)!);
    withSimd.release();
    const global = globalThis as { WebAssembly?: unknown };
    const saved = global.WebAssembly;
    let plain: (number[] | null)[] = [];
    try {
      global.WebAssembly = undefined;
      jest.isolateModules(() => {
        // A fresh module registry: the kernel module is looked for anew, and not found.
        const fresh = require('../../lib/linalg/block_pivoting') as {
          BoxQpSolver: typeof BoxQpSolver;
        };
        const wasm = require('../../lib/linalg/cholesky_wasm') as {
          wasmCholesky: (m: number) => unknown;
        };
        expect(wasm.wasmCholesky(m)).toBeNull();
        const solver = new fresh.BoxQpSolver(G);
        plain = us.map((u) => solver.solve(u));
      });
    } finally {
      global.WebAssembly = saved;
    }
    us.forEach((u, k) => {
      expect(plain[k]).not.toBeNull();
      expectKkt(G, u, plain[k]!);
      plain[k]!.forEach((x, i) =>
        expect(Math.abs(x - simd[k][i])).toBeLessThan(1e-9 * (1 + Math.abs(x))),
      );
    });
  });

  it('stays usable after release (new factors), with the same solutions', () => {
    const m = 40;
    const G = gramian(m, 60, new Rng(13), 2);
    const solver = new BoxQpSolver(G);
    const u = Array.from({ length: m }, (_, j) => (j === 3 ? 1 : 0));
    const before = solver.solve(u)!;
    solver.release();
    const after = solver.solve(u)!;
    after.forEach((x, i) =>
      expect(Math.abs(x - before[i])).toBeLessThan(1e-12 * (1 + Math.abs(x))),
    );
    solver.release();
  });

  it('takes G flat (symmetrized in place) or nested, with the same solutions', () => {
    const m = 30;
    const G = gramian(m, 45, new Rng(14), 1);
    // As a Gramian computed in float32 can be: off its transpose in the last bits.
    G[3][7] *= 1 + 1e-15;
    const flat = Float64Array.from(G.flat());
    const fromFlat = new BoxQpSolver(flat);
    const fromRows = new BoxQpSolver(G);
    expect(flat[3 * m + 7]).toBe(flat[7 * m + 3]);
    expect(flat[3 * m + 7]).toBe((G[3][7] + G[7][3]) / 2);
    for (let i = 0; i < m; i += 7) {
      const u = Array.from({ length: m }, (_, j) => (i === j ? 1 : 0));
      expect(fromFlat.solve(u)).toEqual(fromRows.solve(u));
    }
    fromFlat.release();
    fromRows.release();
  });
});
