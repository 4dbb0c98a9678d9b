import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  ROW_COMBINATIONS,
  ROW_GRAMIAN,
  wasmRowProductsReady,
} from '../../lib/backend/wasm_row_products';

/**
 * Shapes [m, n] that exercise every tail of the loops: odd m, n below and off multiples of 16 and
 * of 8 (the combinations go four at a time, eight columns per pass, then four, then one).
 */
const SHAPES: [number, number][] = [
  [1, 1],
  [1, 7],
  [2, 4],
  [3, 5],
  [4, 16],
  [5, 37],
  [8, 1000],
  [9, 67],
];

function operands(m: number, n: number, seed: number) {
  return {
    a: tf.randomNormal([m, n], 0, 1, 'float32', seed) as tf.Tensor2D,
    b: tf.randomNormal([m, n], 0, 1, 'float32', seed + 1) as tf.Tensor2D,
    // Six combinations: one group of four, then two one at a time.
    c: tf.randomNormal([6, m], 0, 1, 'float32', seed + 2) as tf.Tensor2D,
  };
}

/**
 * The products by tfjs's own matMul, on the current backend, as arrays: A·Bᵀ, A·Aᵀ, C·A, and C
 * times each of A and B.
 */
function byMatMul(m: number, n: number, seed: number): number[][] {
  return tf.tidy(() => {
    const { a, b, c } = operands(m, n, seed);
    return [
      tf.matMul(a, b, false, true),
      tf.matMul(a, a, false, true),
      tf.matMul(c, a),
      tf.concat([tf.matMul(c, a), tf.matMul(c, b)]),
    ].map((t) => Array.from(t.dataSync()));
  });
}

/** The same by the kernels (the last with A and B as two blocks of one matrix). */
function byKernels(m: number, n: number, seed: number): number[][] {
  return tf.tidy(() => {
    const { a, b, c } = operands(m, n, seed);
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
      tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
    return [
      run(ROW_GRAMIAN, { a, b }, { rows: m }),
      run(ROW_GRAMIAN, { a, b: a }, { rows: m }),
      run(ROW_COMBINATIONS, { coefficients: c, matrix: a }, { outShape: [6, n] }),
      run(
        ROW_COMBINATIONS,
        { coefficients: c, matrix: tf.stack([a, b]) },
        { outShape: [2, 6, n], blocks: 2 },
      ),
    ].map((t) => Array.from(t.dataSync()));
  });
}

function expectClose(actual: number[], expected: number[]): void {
  const scale = Math.max(1, ...expected.map(Math.abs));
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]) / scale).toBeLessThan(1e-5));
}

describe('the wasm row-product kernels', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are not offered on cpu', () => {
    expect(wasmRowProductsReady()).toBe(false);
  });

  it('compute A·Bᵀ, A·Aᵀ, C·A and C·[A; B] by blocks as the cpu backend does, for every loop tail', async () => {
    const expected = SHAPES.map(([m, n], k) => byMatMul(m, n, 10 * k + 1));
    await tf.setBackend('wasm');
    expect(wasmRowProductsReady()).toBe(true);
    SHAPES.forEach(([m, n], k) => {
      const actual = byKernels(m, n, 10 * k + 1);
      actual.forEach((values, p) => expectClose(values, expected[k][p]));
    });
    await tf.setBackend('cpu');
  });

  it('give an exactly symmetric A·Aᵀ', async () => {
    await tf.setBackend('wasm');
    expect(wasmRowProductsReady()).toBe(true);
    const a = tf.randomNormal([7, 333], 0, 1, 'float32', 3) as tf.Tensor2D;
    const g = tf.engine().runKernel(ROW_GRAMIAN, { a, b: a }, { rows: 7 }) as tf.Tensor2D;
    const values = g.arraySync();
    for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) expect(values[i][j]).toBe(values[j][i]);
    tf.dispose([a, g]);
    await tf.setBackend('cpu');
  });

  it('have the gradients of the products they replace', async () => {
    const gradients = () =>
      tf.tidy(() => {
        const { a, b, c } = operands(3, 10, 7);
        const kernels = wasmRowProductsReady();
        const gramian = (x: tf.Tensor, y: tf.Tensor) =>
          kernels
            ? (tf.engine().runKernel(ROW_GRAMIAN, { a: x, b: y }, { rows: 3 }) as tf.Tensor)
            : tf.matMul(x, y, false, true);
        const combinations = (x: tf.Tensor, y: tf.Tensor) =>
          kernels
            ? (tf
                .engine()
                .runKernel(
                  ROW_COMBINATIONS,
                  { coefficients: x, matrix: y },
                  { outShape: [6, 10] },
                ) as tf.Tensor)
            : tf.matMul(x, y);
        const blockCombinations = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
          kernels
            ? (tf
                .engine()
                .runKernel(
                  ROW_COMBINATIONS,
                  { coefficients: x, matrix: tf.stack([y, z]) },
                  { outShape: [2, 6, 10], blocks: 2 },
                ) as tf.Tensor)
            : tf.stack([tf.matMul(x, y), tf.matMul(x, z)]);
        const weights = tf.randomNormal([3, 3], 0, 1, 'float32', 8);
        const blockWeights = tf.randomNormal([2, 6, 10], 0, 1, 'float32', 9);
        const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
          tf.addN([
            tf.sum(tf.mul(gramian(x, y), weights)),
            tf.sum(tf.square(combinations(z, x))),
            tf.sum(tf.mul(blockCombinations(z, x, y), blockWeights)),
          ]);
        return tf
          .grads(f)([a, b, c])
          .map((t) => Array.from(t.dataSync()));
      });
    const expected = gradients();
    await tf.setBackend('wasm');
    const actual = gradients();
    actual.forEach((values, i) => expectClose(values, expected[i]));
    await tf.setBackend('cpu');
  });

  it('leave no tensor behind over many calls', async () => {
    await tf.setBackend('wasm');
    expect(wasmRowProductsReady()).toBe(true);
    byKernels(5, 37, 1);
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 20; i++) byKernels(5, 37, i);
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
  });
});
