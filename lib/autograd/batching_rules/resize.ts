/**
 * Batching rules of the image resizes (`tf.layers.upSampling2d`, `tf.image.resize*`): the bilinear
 * gradient kernel works image by image, so the k rows are k more images; the nearest-neighbour
 * one is a sum over blocks.
 */
import * as tf from '@tensorflow/tfjs';
import { hasKernels, only, repeatBatch, runKernel, savedInput, type BatchingRule } from './common';

function resize(gradientKernel: string): BatchingRule {
  return (node, dys, _names, k) => {
    const dy = only(node, dys);
    const images = savedInput(node, 'images');
    if (dy === undefined || images === undefined || images.rank !== 4) return undefined;
    if (node.attrs === undefined || !hasKernels(gradientKernel)) return undefined;
    const outShape = node.outputs[0].shape;
    const dx = runKernel(
      gradientKernel,
      {
        dy: tf.reshape(dy, [k * outShape[0], ...outShape.slice(1)]),
        images: repeatBatch(images, k),
      },
      node.attrs,
    );
    // tfjs's cpu ResizeBilinearGrad returns the height and width swapped for a non-square image
    // (its own single pass then fails): never reshape such a result into a gradient.
    if (!tf.util.arraysEqual(dx.shape, [k * images.shape[0], ...images.shape.slice(1)])) {
      return undefined;
    }
    return { images: tf.reshape(dx, [k, ...images.shape]) };
  };
}

/**
 * ResizeNearestNeighbor by whole factors without aligned corners (`tf.layers.upSampling2d`): each
 * input pixel is copied to an f × g block, so its gradient is the block's sum. tfjs's cpu gradient
 * kernel is wrong for a batch of more than one image (it is right image by image), so this is the
 * formula, not the kernel; other configurations are left to the fallback.
 */
const resizeNearestNeighbor: BatchingRule = (node, dys, _names, k) => {
  const dy = only(node, dys);
  const images = node.inputs.images;
  if (dy === undefined || images === undefined || images.rank !== 4) return undefined;
  if (node.attrs === undefined || node.attrs.alignCorners === true) return undefined;
  const [n, h, w, c] = images.shape;
  const [, outH, outW] = node.outputs[0].shape;
  if (outH % h !== 0 || outW % w !== 0) return undefined;
  const [f, g] = [outH / h, outW / w];
  // The block sums as an average pooling times the block size (to rounding): one pooling kernel
  // instead of a sum over two middle axes of rank 7, which wasm transposes ten times slower.
  const folded = tf.reshape(dy, [k * n, outH, outW, c]) as tf.Tensor4D;
  const sums = tf.mul(tf.avgPool(folded, [f, g], [f, g], 'valid'), f * g);
  return { images: tf.reshape(sums, [k, n, h, w, c]) };
};

export const RESIZE_RULES: Record<string, BatchingRule> = {
  ResizeBilinear: resize('ResizeBilinearGrad'),
  ResizeNearestNeighbor: resizeNearestNeighbor,
};
