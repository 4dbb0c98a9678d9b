import { softmax } from '../../lib/linalg/softmax';

describe('softmax', () => {
  it('gives positive weights summing to 1, in the ratio of the exponentials', () => {
    const w = softmax([0, Math.log(3), Math.log(6)]);
    expect(w.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 14);
    expect(w[0]).toBeCloseTo(0.1, 14);
    expect(w[1]).toBeCloseTo(0.3, 14);
    expect(w[2]).toBeCloseTo(0.6, 14);
  });

  it('is unchanged by a common shift, so large logits do not overflow', () => {
    const shifted = softmax([1000, 1000 + Math.log(3)]);
    expect(shifted.every(Number.isFinite)).toBe(true);
    expect(shifted[0]).toBeCloseTo(0.25, 12);
    expect(shifted[1]).toBeCloseTo(0.75, 12);
  });
});
