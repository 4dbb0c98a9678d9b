import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installFastTransposedMatMul } from '../../lib/backend/wasm_matmul';

/** Products with every transpose combination, as plain arrays, on the current backend. */
function products(seed: number): number[][] {
  return tf.tidy(() => {
    const a = tf.randomNormal([2, 5, 3], 0, 1, 'float32', seed);
    const b = tf.randomNormal([2, 3, 4], 0, 1, 'float32', seed + 1);
    const aT = tf.transpose(a, [0, 2, 1]);
    const bT = tf.transpose(b, [0, 2, 1]);
    const m = tf.randomNormal([6, 7], 0, 1, 'float32', seed + 2);
    return [
      tf.matMul(a, b),
      tf.matMul(aT, b, true, false),
      tf.matMul(a, bT, false, true),
      tf.matMul(aT, bT, true, true),
      tf.matMul(m, m, false, true),
      tf.matMul(m, m, true, false),
    ].map((t) => Array.from(t.dataSync()));
  });
}

describe('the wasm transposed-matmul fix', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the products of the cpu backend for every transpose combination, leaking nothing', async () => {
    const expected = products(1);
    await tf.setBackend('wasm');
    installFastTransposedMatMul();
    installFastTransposedMatMul(); // idempotent
    const before = tf.memory().numTensors;
    const actual = products(1);
    expect(tf.memory().numTensors).toBe(before);
    actual.forEach((values, i) =>
      values.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 4)),
    );
  });
});
