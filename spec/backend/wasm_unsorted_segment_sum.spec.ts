import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expectCloseArrays, wasmDataIds } from './_wasm_kernels';
import { installUnsortedSegmentSum } from '../../lib/backend/wasm_unsorted_segment_sum';
import { TfjsJdError } from '../../lib/errors';

/** Segment sums of seeded rows: repeated ids, an empty segment, ids out of range, int32 values. */
function segmentSums(): number[][] {
  return tf.tidy(() => {
    const x = tf.randomNormal([7, 3, 2], 0, 1, 'float32', 1);
    const ids = tf.tensor1d([0, 3, 3, -1, 5, 0, 9], 'int32');
    const ints = tf.tensor2d(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [3, 2],
      'int32',
    );
    return [
      Array.from(tf.unsortedSegmentSum(x, ids, 6).dataSync()),
      Array.from(tf.unsortedSegmentSum(ints, tf.tensor1d([1, 1, 0], 'int32'), 2).dataSync()),
    ];
  });
}

/** The gradients of an Embedding + Dense model, by tf.variableGrads (gather's gradient). */
function embeddingGradients(): number[][] {
  return tf.tidy(() => {
    const model = tf.sequential({
      layers: [
        tf.layers.embedding({
          inputDim: 5,
          outputDim: 3,
          inputLength: 4,
          embeddingsInitializer: tf.initializers.randomNormal({ seed: 2 }),
        }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }),
      ],
    });
    const indices = tf.tensor2d(
      [
        [0, 1, 1, 4],
        [2, 0, 3, 3],
      ],
      [2, 4],
      'int32',
    );
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.square(model.apply(indices) as tf.Tensor)) as tf.Scalar,
    );
    const values = Object.keys(grads)
      .sort()
      .map((name) => Array.from(grads[name].dataSync()));
    model.dispose();
    return values;
  });
}

describe('the wasm UnsortedSegmentSum kernel', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the cpu backend’s sums, trains an embedding, and leaks no wasm memory', async () => {
    await tf.setBackend('cpu');
    const expectedSums = segmentSums();
    const expectedGradients = embeddingGradients();
    await tf.setBackend('wasm');
    // tfjs-backend-wasm 4.22 has none: what runs below is the kernel installed here.
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
    installUnsortedSegmentSum();
    installUnsortedSegmentSum(); // idempotent
    const dataIds = wasmDataIds();
    const sums = segmentSums();
    expectCloseArrays(sums, expectedSums);
    expect(sums[1]).toEqual([5, 6, 4, 6]);
    expectCloseArrays(embeddingGradients(), expectedGradients);
    expect(wasmDataIds()).toBe(dataIds);
  });

  it('names the shapes it does not take (segment ids of rank 2)', () => {
    expect(tf.getBackend()).toBe('wasm');
    const x = tf.ones([2, 2]);
    const ids = tf.tensor2d(
      [
        [0, 1],
        [1, 0],
      ],
      [2, 2],
      'int32',
    );
    expect(() => tf.unsortedSegmentSum(x, ids as unknown as tf.Tensor1D, 2)).toThrow(TfjsJdError);
    tf.dispose([x, ids]);
  });
});
