import { choleskyInPlace } from '../../lib/linalg/cholesky';
import { wasmCholesky } from '../../lib/linalg/cholesky_wasm';
import { dot } from '../../lib/linalg/matrix';
import { normalMatrix, Rng } from '../aggregation/_matrices';

const gramianOf = (rows: number[][]) => rows.map((a) => rows.map((b) => dot(a, b)));

/** `A` into a flat array of row stride `stride` (and 7 past it). */
function fill(target: Float64Array, A: number[][], stride: number): Float64Array {
  target.fill(7);
  A.forEach((row, i) => row.forEach((x, j) => (target[i * stride + j] = x)));
  return target;
}

describe('wasmCholesky', () => {
  const stride = 100;

  it('is available in Node (WebAssembly with SIMD)', () => {
    const kernel = wasmCholesky(stride);
    expect(kernel).not.toBeNull();
    expect(kernel!.matrix.length).toBe(stride * stride);
    kernel!.release();
  });

  it.each([4, 5, 8, 13, 31, 64, 97])(
    'gives the factor of the JavaScript kernel, also continued from a given row (n = %i)',
    (n) => {
      const A = gramianOf(normalMatrix(n, n + 5, n, new Rng(50 + n)));
      const kernel = wasmCholesky(stride)!;
      for (const from of [0, 3, 6].filter((f) => f < n)) {
        const js = fill(new Float64Array(stride * stride), A, stride);
        expect(choleskyInPlace(js, from, stride)).toBe(-1);
        expect(choleskyInPlace(js, n, stride, from)).toBe(-1);
        const simd = fill(kernel.matrix, A, stride);
        expect(choleskyInPlace(simd, from, stride, 0, kernel.rows)).toBe(-1);
        expect(choleskyInPlace(simd, n, stride, from, kernel.rows)).toBe(-1);
        let gap = 0;
        let reconstruction = 0;
        let touched = 0;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j <= i; j++) {
            gap = Math.max(gap, Math.abs(simd[i * stride + j] - js[i * stride + j]));
            const llt = dot(
              Array.from(simd.subarray(i * stride, i * stride + j + 1)),
              Array.from(simd.subarray(j * stride, j * stride + j + 1)),
            );
            reconstruction = Math.max(reconstruction, Math.abs(llt - A[i][j]) / A[i][i]);
          }
          for (let j = i + 1; j < stride; j++) {
            if (simd[i * stride + j] !== (j < n ? A[i][j] : 7)) touched++;
          }
        }
        expect(touched).toBe(0); // the strict upper triangle is neither read nor written
        expect(gap).toBeLessThan(1e-12 * n);
        expect(reconstruction).toBeLessThan(1e-12 * n);
      }
      kernel.release();
    },
  );

  it('reports the first pivot that is not positive, as the JavaScript kernel', () => {
    const n = 41;
    const kernel = wasmCholesky(stride)!;
    for (const bad of [0, 9, 22, 35, 40]) {
      const A = gramianOf(normalMatrix(n, 50, n, new Rng(bad)));
      for (let j = 0; j < n; j++) {
        A[bad][j] = A[0][j];
        A[j][bad] = A[j][0];
      }
      A[bad][bad] = bad === 0 ? -1 : A[0][0] - 1;
      const js = fill(new Float64Array(stride * stride), A, stride);
      expect(choleskyInPlace(js, n, stride)).toBe(bad);
      expect(choleskyInPlace(fill(kernel.matrix, A, stride), n, stride, 0, kernel.rows)).toBe(bad);
    }
    kernel.release();
  });

  it('hands released memory to the next kernel that fits, once', () => {
    const first = wasmCholesky(64)!;
    const buffer = first.matrix.buffer;
    first.release();
    first.release(); // a second release must not hand the same memory out twice
    const second = wasmCholesky(48)!;
    const third = wasmCholesky(48)!;
    expect(second.matrix.buffer).toBe(buffer);
    expect(third.matrix.buffer).not.toBe(buffer);
    second.release();
    third.release();
  });

  it.each([0, 1, 2, 3, 5, 8, 33, 97])('solves L Lᵀ z = b in place (k = %i)', (k) => {
    const A = gramianOf(normalMatrix(k, k + 4, k, new Rng(70 + k)));
    const kernel = wasmCholesky(stride)!;
    fill(kernel.matrix, A, stride);
    expect(choleskyInPlace(kernel.matrix, k, stride, 0, kernel.rows)).toBe(-1);
    const rng = new Rng(k);
    const b = Array.from({ length: k }, () => rng.normal());
    kernel.vector.fill(5);
    kernel.vector.set(b);
    kernel.solve(k);
    const z = Array.from(kernel.vector.subarray(0, k));
    let residual = 0;
    A.forEach((row, i) => (residual = Math.max(residual, Math.abs(dot(row, z) - b[i]))));
    expect(residual).toBeLessThan(1e-10 * (1 + Math.max(0, ...b.map(Math.abs))));
    expect(kernel.vector[k]).toBe(5); // entries past k untouched
    kernel.release();
  });

  it('does not keep released memory past 32 MiB for reuse', () => {
    const big = wasmCholesky(1500)!; // 2 · 1500² float64: 36 MB
    const buffer = big.matrix.buffer;
    big.release();
    const next = wasmCholesky(1500)!;
    expect(next.matrix.buffer).not.toBe(buffer);
    next.release();
  });
});
