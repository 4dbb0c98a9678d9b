import { NumericalError } from '../../../lib/errors';
import { solveLinearSystem } from '../../../lib/linalg/solvers/dense_solve';
import { Rng } from '../../aggregation/_matrices';

describe('solveLinearSystem', () => {
  it('solves random well-conditioned systems (checked by the residual A x − b)', () => {
    const rng = new Rng(3);
    for (const n of [1, 2, 5, 12]) {
      // Diagonally dominant, so well conditioned whatever the random draw.
      const a = Array.from({ length: n }, (_, i) =>
        Array.from({ length: n }, (_, j) => rng.normal() + (i === j ? 3 * n : 0)),
      );
      const b = Array.from({ length: n }, () => rng.normal());
      const x = solveLinearSystem(a, b);
      a.forEach((row, i) => {
        const ax = row.reduce((s, v, j) => s + v * x[j], 0);
        expect(Math.abs(ax - b[i])).toBeLessThan(1e-12);
      });
    }
  });

  it('needs pivoting: a zero leading entry is solved exactly', () => {
    // [[0, 1], [1, 0]] swaps the coordinates: x = [b₁, b₀].
    expect(
      solveLinearSystem(
        [
          [0, 1],
          [1, 0],
        ],
        [2, 3],
      ),
    ).toEqual([3, 2]);
  });

  it('throws NumericalError on a singular system instead of returning NaN', () => {
    expect(() =>
      solveLinearSystem(
        [
          [1, 2],
          [2, 4],
        ],
        [1, 1],
      ),
    ).toThrow(NumericalError);
    expect(() =>
      solveLinearSystem(
        [
          [0, 0],
          [0, 0],
        ],
        [0, 0],
      ),
    ).toThrow(NumericalError);
  });
});
