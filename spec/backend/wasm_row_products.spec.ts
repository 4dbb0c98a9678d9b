import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  ROW_COMBINATIONS,
  ROW_GRAMIAN,
  wasmRowProductsReady,
} from '../../lib/backend/wasm_row_products';

/** Shapes [m, n] that exercise every tail of the loops: odd m, n below and off multiples of 16. */
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
    c: tf.randomNormal([3, m], 0, 1, 'float32', seed + 2) as tf.Tensor2D,
  };
}

/** The three products by tfjs's own matMul, on the current backend, as arrays. */
function byMatMul(m: number, n: number, seed: number): number[][] {
  return tf.tidy(() => {
    const { a, b, c } = operands(m, n, seed);
    return [tf.matMul(a, b, false, true), tf.matMul(a, a, false, true), tf.matMul(c, a)].map((t) =>
      Array.from(t.dataSync()),
    );
  });
}

/** The same three by the kernels. */
function byKernels(m: number, n: number, seed: number): number[][] {
  return tf.tidy(() => {
    const { a, b, c } = operands(m, n, seed);
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
      tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
    return [
      run(ROW_GRAMIAN, { a, b }, { rows: m }),
      run(ROW_GRAMIAN, { a, b: a }, { rows: m }),
      run(ROW_COMBINATIONS, { coefficients: c, matrix: a }, { outShape: [3, n] }),
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

  it('compute A·Bᵀ, A·Aᵀ and C·A as the cpu backend does, for every loop tail', async () => {
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
            ? (tf.engine().runKernel(
                ROW_COMBINATIONS,
                { coefficients: x, matrix: y },
                {
                  outShape: [3, 10],
                },
              ) as tf.Tensor)
            : tf.matMul(x, y);
        const weights = tf.randomNormal([3, 3], 0, 1, 'float32', 8);
        const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
          tf.add(tf.sum(tf.mul(gramian(x, y), weights)), tf.sum(tf.square(combinations(z, x))));
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
