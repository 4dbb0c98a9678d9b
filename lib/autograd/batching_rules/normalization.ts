/**
 * The batching rules of `FusedBatchNorm` (`tf.batchNorm`: batch normalization in inference mode,
 * and layer normalization, whose moments `tf.layers` tiles to the input's shape) and `LRN`.
 */
import * as tf from '@tensorflow/tfjs';
import {
  hasKernels,
  only,
  repeatBatch,
  runKernel,
  savedInput,
  savedOutput,
  unbroadcast,
  type BatchingRule,
} from './common';

/**
 * tfjs's gradient of `(x − mean) · rsqrt(variance + ε) · scale + offset`, with the factors computed
 * once from the saved inputs. Moments of rank 1 (one per channel) or of the input's size, as
 * tfjs's gradient supports; other shapes are left to the fallback.
 */
const fusedBatchNorm: BatchingRule = (node, dys, names) => {
  const dy = only(node, dys);
  const x = savedInput(node, 'x');
  const mean = savedInput(node, 'mean');
  const variance = savedInput(node, 'variance');
  // tfjs cannot record a batch norm without scale (it saves the missing input): scale is there.
  const scale = savedInput(node, 'scale');
  const epsilon = node.attrs?.varianceEpsilon;
  if (dy === undefined || x === undefined || mean === undefined || variance === undefined) {
    return undefined;
  }
  if (scale === undefined || typeof epsilon !== 'number') return undefined;
  const shape = mean.shape;
  const sameShapes = [variance, scale, node.inputs.offset]
    .filter((t) => t !== undefined)
    .every((t) => tf.util.arraysEqual(t.shape, shape));
  // tfjs reshapes a moment's gradient to its shape, unreduced unless it has rank 1.
  if (!sameShapes || !(mean.rank === 1 || mean.size === x.size)) return undefined;
  const inverseStd = tf.rsqrt(tf.add(variance, tf.scalar(epsilon)));
  const dyTimesScale = tf.mul(dy, scale);
  const centered = tf.sub(x, mean);
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('x')) out.x = tf.mul(tf.mul(dy, inverseStd), scale);
  if (names.includes('mean')) {
    out.mean = unbroadcast(tf.mul(tf.mul(inverseStd, tf.scalar(-1)), dyTimesScale), shape);
  }
  if (names.includes('variance')) {
    const cube = tf.mul(tf.mul(inverseStd, inverseStd), inverseStd);
    const minusHalfCube = tf.mul(cube, tf.scalar(-0.5));
    out.variance = unbroadcast(tf.mul(tf.mul(minusHalfCube, centered), dyTimesScale), shape);
  }
  if (names.includes('scale')) {
    out.scale = unbroadcast(tf.mul(dy, tf.mul(centered, inverseStd)), shape);
  }
  if (names.includes('offset')) out.offset = unbroadcast(dy, shape);
  return out;
};

/** LRN (local response normalization): its gradient kernel works image by image. */
const lrn: BatchingRule = (node, dys, _names, k) => {
  const dy = only(node, dys);
  const x = savedInput(node, 'x');
  const y = savedOutput(node);
  if (dy === undefined || x === undefined || y === undefined || node.attrs === undefined) {
    return undefined;
  }
  if (!hasKernels('LRNGrad')) return undefined;
  const { depthRadius, bias, alpha, beta } = node.attrs;
  const dx = runKernel(
    'LRNGrad',
    {
      x: repeatBatch(x, k),
      y: repeatBatch(y, k),
      dy: tf.reshape(dy, [k * x.shape[0], ...x.shape.slice(1)]),
    },
    { depthRadius, bias, alpha, beta },
  );
  return { x: tf.reshape(dx, [k, ...x.shape]) };
};

export const NORMALIZATION_RULES: Record<string, BatchingRule> = {
  FusedBatchNorm: fusedBatchNorm,
  LRN: lrn,
};
