import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  blockRowCombinations,
  lastAxisSums,
  rowCombinations,
  rowGramian,
  weightedRowSum,
} from '../lib/tensor_products';

/** Each helper against tfjs's matMul on the current backend; the largest relative difference. */
function deviations(seed: number): number[] {
  return tf.tidy(() => {
    const a = tf.randomNormal([6, 301], 0, 1, 'float32', seed) as tf.Tensor2D;
    const b = tf.randomNormal([6, 301], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
    const few = tf.randomNormal([2, 6], 0, 1, 'float32', seed + 2) as tf.Tensor2D;
    const many = tf.randomNormal([40, 6], 0, 1, 'float32', seed + 3) as tf.Tensor2D;
    const perTask = tf.randomNormal([6, 7, 43], 0, 1, 'float32', seed + 4);
    const w = [0.5, -1, 2, 0, 3, 1];
    const pairs: [tf.Tensor, tf.Tensor][] = [
      [rowGramian(a), tf.matMul(a, a, false, true)],
      [rowGramian(a, b), tf.matMul(a, b, false, true)],
      [rowCombinations(few, a), tf.matMul(few, a)],
      [rowCombinations(many, a), tf.matMul(many, a)],
      [
        weightedRowSum(w, perTask),
        tf.reshape(tf.matMul(tf.tensor2d([w]), tf.reshape(perTask, [6, -1])), [7, 43]),
      ],
      [weightedRowSum(tf.tensor1d(w), a), tf.reshape(tf.matMul(tf.tensor2d([w]), a), [301])],
      [
        blockRowCombinations(
          tf.slice(many, [0, 0], [7, 6]) as tf.Tensor2D,
          tf.stack([a, b]) as tf.Tensor3D,
        ),
        tf.stack([
          tf.matMul(tf.slice(many, [0, 0], [7, 6]), a),
          tf.matMul(tf.slice(many, [0, 0], [7, 6]), b),
        ]),
      ],
      [lastAxisSums(perTask), tf.sum(perTask, [0, 1])],
      [lastAxisSums(a), tf.sum(a, 0)],
      [lastAxisSums(tf.slice(a, [0, 0], [1, 301])), tf.slice(a, [0, 0], [1, 301]).reshape([301])],
      // Past the loop's 256 combinations: one product per matrix.
      [
        blockRowCombinations(tf.tile(many, [7, 1]) as tf.Tensor2D, tf.stack([a, b]) as tf.Tensor3D),
        tf.stack([tf.matMul(tf.tile(many, [7, 1]), a), tf.matMul(tf.tile(many, [7, 1]), b)]),
      ],
      // Rows read from a tensor of another shape: [6, 7, 43] as 6 rows, and as 42 rows.
      [
        rowGramian(perTask),
        tf.matMul(tf.reshape(perTask, [6, -1]), tf.reshape(perTask, [6, -1]), false, true),
      ],
      [
        rowGramian(perTask, tf.mul(perTask, 2), 42),
        tf.mul(
          tf.matMul(tf.reshape(perTask, [42, 43]), tf.reshape(perTask, [42, 43]), false, true),
          2,
        ),
      ],
    ];
    return pairs.map(([actual, expected]) => {
      expect(actual.shape).toEqual(expected.shape);
      const scale = Math.max(1, tf.max(tf.abs(expected)).dataSync()[0]);
      return tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0] / scale;
    });
  });
}

describe('row products', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('equal tfjs products on cpu', () => {
    for (const d of deviations(1)) expect(d).toBeLessThan(1e-6);
  });

  it('equal tfjs products on wasm, and leak nothing there', async () => {
    await tf.setBackend('wasm');
    deviations(2);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) for (const d of deviations(3 + i)) expect(d).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
  });

  it('handle matrices with no rows or no columns on wasm as tfjs does', async () => {
    await tf.setBackend('wasm');
    const none = tf.zeros([0, 5]) as tf.Tensor2D;
    const empty = tf.zeros([3, 0]) as tf.Tensor2D;
    expect(rowGramian(none).shape).toEqual([0, 0]);
    expect(Array.from(rowGramian(empty).dataSync())).toEqual(new Array(9).fill(0));
    expect(Array.from(weightedRowSum(tf.zeros([0]) as tf.Tensor1D, none).dataSync())).toEqual([
      0, 0, 0, 0, 0,
    ]);
    expect(rowCombinations(tf.ones([2, 3]) as tf.Tensor2D, empty).shape).toEqual([2, 0]);
    const twoByThree = tf.ones([2, 3]) as tf.Tensor2D;
    expect(blockRowCombinations(twoByThree, tf.zeros([0, 3, 5]) as tf.Tensor3D).shape).toEqual([
      0, 2, 5,
    ]);
    const noRows = blockRowCombinations(
      tf.ones([2, 0]) as tf.Tensor2D,
      tf.zeros([4, 0, 5]) as tf.Tensor3D,
    );
    expect(Array.from(noRows.dataSync())).toEqual(new Array(40).fill(0));
    await tf.setBackend('cpu');
  });

  it('run the kernels of tfjs-jd on wasm for few rows only', async () => {
    await tf.setBackend('wasm');
    const names = async (f: () => tf.Tensor) =>
      (await tf.profile(() => tf.tidy(f))).kernels.map((k) => k.name);
    const a = tf.randomNormal([4, 50]) as tf.Tensor2D;
    expect(await names(() => rowGramian(a))).toContain('TfjsJdRowGramian');
    expect(await names(() => rowCombinations(tf.ones([1, 4]) as tf.Tensor2D, a))).toContain(
      'TfjsJdRowCombinations',
    );
    const wide = tf.ones([33, 4]) as tf.Tensor2D;
    expect(await names(() => rowCombinations(wide, a))).not.toContain('TfjsJdRowCombinations');
    const blocks = tf.stack([a, a]) as tf.Tensor3D;
    expect(await names(() => blockRowCombinations(wide, blocks))).toContain(
      'TfjsJdRowCombinations',
    );
    const widest = tf.ones([257, 4]) as tf.Tensor2D;
    expect(await names(() => blockRowCombinations(widest, blocks))).not.toContain(
      'TfjsJdRowCombinations',
    );
    tf.dispose([a, wide, blocks, widest]);
    await tf.setBackend('cpu');
  });
});
