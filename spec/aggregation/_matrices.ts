/**
 * Fixture matrices for aggregator properties, built as TorchJD's tests build them
 * (tests/unit/aggregation/_inputs.py, _matrix_samplers.py): U S Vᵀ products of random orthonormal
 * factors with a chosen rank, with left-singular structure that makes them strongly stationary,
 * strictly weakly stationary, or not weakly stationary. Plain number[][]: specs make tensors.
 */
import { uniformGenerator } from '../../lib/random_stream';

export type Rows = number[][];

export class Rng {
  private readonly uniform: () => number;
  constructor(seed: number) {
    this.uniform = uniformGenerator(seed);
  }
  next(): number {
    return this.uniform();
  }
  normal(): number {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
  normals(rows: number, cols: number): Rows {
    return Array.from({ length: rows }, () => Array.from({ length: cols }, () => this.normal()));
  }
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
}

function unit(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** Columns (as arrays) completing the orthonormal columns `q` to an orthonormal basis of ℝᵐ. */
function orthonormalComplement(q: number[][], m: number, rng: Rng): number[][] {
  const basis = q.map((c) => [...c]);
  while (basis.length < m) {
    let v = Array.from({ length: m }, () => rng.normal());
    for (const b of basis) {
      const projection = b.reduce((s, bi, i) => s + bi * v[i], 0);
      v = v.map((x, i) => x - projection * b[i]);
    }
    if (Math.hypot(...v) > 1e-8) basis.push(unit(v));
  }
  return basis.slice(q.length);
}

/** `Σ_k s_k u_k v_kᵀ` for the first `rank` left columns `u` and right columns `v`. */
function product(u: number[][], v: number[][], rank: number, rng: Rng): Rows {
  const m = u[0].length;
  const n = v[0].length;
  const s = Array.from({ length: rank }, () => Math.abs(rng.normal()));
  return Array.from({ length: m }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let sum = 0;
      for (let k = 0; k < rank; k++) sum += u[k][i] * s[k] * v[k][j];
      return sum;
    }),
  );
}

const orthonormal = (dim: number, rng: Rng) => orthonormalComplement([], dim, rng);

/** A random m × n matrix of the given rank. */
export function normalMatrix(m: number, n: number, rank: number, rng: Rng): Rows {
  if (rank === 0) return zeros(m, n);
  return product(orthonormal(m, rng), orthonormal(n, rng), rank, rng);
}

/** A matrix with `vᵀA = 0` for some `v > 0`. */
export function strongMatrix(m: number, n: number, rank: number, rng: Rng): Rows {
  const v = unit(Array.from({ length: m }, () => Math.abs(rng.normal())));
  return product(orthonormalComplement([v], m, rng), orthonormal(n, rng), rank, rng);
}

/** A matrix with `vᵀA = 0` for some `v ≥ 0, v ≠ 0`, but for no `v > 0`. */
export function strictlyWeakMatrix(m: number, n: number, rank: number, rng: Rng): Rows {
  const u = Array.from({ length: m }, () => Math.abs(rng.normal()));
  const split = 1 + Math.floor(rng.next() * (m - 1));
  const order = rng.permutation(m);
  const part = (indices: number[]) => {
    const w = new Array<number>(m).fill(0);
    for (const i of indices) w[i] = u[i];
    return unit(w);
  };
  const v = part(order.slice(0, split));
  const vPrime = part(order.slice(split));
  const left = [v, vPrime, ...orthonormalComplement([v, vPrime], m, rng)];
  return product(left.slice(1), orthonormal(n, rng), rank, rng);
}

/** A matrix with `vᵀA ≠ 0` for every `v ≥ 0, v ≠ 0`. */
export function nonWeakMatrix(m: number, n: number, rank: number, rng: Rng): Rows {
  const u = unit(Array.from({ length: m }, () => Math.abs(rng.normal())));
  return product([u, ...orthonormalComplement([u], m, rng)], orthonormal(n, rng), rank, rng);
}

export function zeros(m: number, n: number): Rows {
  return Array.from({ length: m }, () => new Array<number>(n).fill(0));
}

const NORMAL_DIMS: [number, number, number][] = [
  [1, 1, 1],
  [4, 3, 1],
  [4, 3, 2],
  [4, 3, 3],
  [9, 11, 5],
  [9, 11, 9],
];
const STATIONARITY_DIMS: [number, number, number][] = [
  [20, 10, 10],
  [20, 10, 5],
  [20, 10, 1],
  [20, 100, 1],
  [20, 100, 19],
];
const SCALES = [0, 1e-10, 1e3, 1e5, 1e10, 1e15];

/** TorchJD's fixture families, regenerated from a fixed seed. */
export function fixtures() {
  const rng = new Rng(0);
  const normal = NORMAL_DIMS.map(([m, n, r]) => normalMatrix(m, n, r, rng));
  const zero = [zeros(1, 1), zeros(4, 3), zeros(9, 11)];
  const strong = STATIONARITY_DIMS.map(([m, n, r]) => strongMatrix(m, n, r, rng));
  const strictlyWeak = STATIONARITY_DIMS.map(([m, n, r]) => strictlyWeakMatrix(m, n, r, rng));
  const nonWeak = STATIONARITY_DIMS.map(([m, n, r]) => nonWeakMatrix(m, n, r, rng));
  const scaled = SCALES.flatMap((s) => normal.map((a) => a.map((row) => row.map((x) => s * x))));
  const nonStrong = [...strictlyWeak, ...nonWeak];
  return {
    normal,
    zero,
    strong,
    nonStrong,
    scaled,
    typical: [...zero, ...normal, ...strong, ...nonStrong],
  };
}

/** TorchJD's `typical_matrices`: zero, normal, strong and non-strong families, fresh each call. */
export function typicalMatrices(): Rows[] {
  return fixtures().typical;
}

/** All-zero matrices of a few shapes. */
export function zeroMatrices(): Rows[] {
  return fixtures().zero;
}

/** Normal matrices whose rank is below min(m, n) (singular Gramians). */
export function rankDeficientMatrices(): Rows[] {
  const rng = new Rng(5);
  return [
    [4, 3, 1],
    [4, 3, 2],
    [9, 11, 5],
    [20, 10, 5],
    [20, 100, 1],
  ].map(([m, n, r]) => normalMatrix(m, n, r, rng));
}

/** The normal matrices multiplied by 0, 1e-10, 1e3, 1e5, 1e10 and 1e15. */
export function scaledMatrices(): Rows[] {
  return fixtures().scaled;
}

/** Matrices that are not strongly stationary: an aggregator with that property must not return 0. */
export function nonStrongMatrices(): Rows[] {
  return fixtures().nonStrong;
}

/** A seeded m × n matrix of independent standard normal entries. */
export function randomMatrix(m: number, n: number, seed: number): Rows {
  return new Rng(seed).normals(m, n);
}
