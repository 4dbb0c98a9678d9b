/**
 * Batching rules of the 3-D poolings (`tf.layers.maxPooling3d`, `averagePooling3d`): their
 * gradient kernels work input by input, so the k rows are k more inputs (the forward values
 * repeated by concatenation).
 */
import * as tf from '@tensorflow/tfjs';
import {
  hasKernels,
  only,
  repeatBatch,
  runKernel,
  savedInput,
  savedOutput,
  type BatchingRule,
} from './common';

function pool3d(gradientKernel: string, withOutput: boolean): BatchingRule {
  return (node, dys, _names, k) => {
    const dy = only(node, dys);
    const x = savedInput(node, 'x');
    const y = withOutput ? savedOutput(node) : node.outputs[0];
    if (dy === undefined || x === undefined || y === undefined || x.rank !== 5) return undefined;
    if (node.attrs === undefined || !hasKernels(gradientKernel)) return undefined;
    const { filterSize, strides, pad, dimRoundingMode } = node.attrs;
    const outShape = node.outputs[0].shape;
    const inputs: tf.NamedTensorMap = {
      dy: tf.reshape(dy, [k * outShape[0], ...outShape.slice(1)]),
      input: repeatBatch(x, k),
    };
    if (withOutput) inputs.output = repeatBatch(y, k);
    const dx = runKernel(gradientKernel, inputs, { filterSize, strides, pad, dimRoundingMode });
    return { x: tf.reshape(dx, [k, ...x.shape]) };
  };
}

export const POOLING_3D_RULES: Record<string, BatchingRule> = {
  MaxPool3D: pool3d('MaxPool3DGrad', true),
  AvgPool3D: pool3d('AvgPool3DGrad', false),
};
