/**
 * Batching rules of the custom ops behind `tf.logSoftmax` and `tf.losses.softmaxCrossEntropy`
 * (recorded under their op names, e.g. `softmaxCrossEntropy__op`, with positional inputs '0', '1'
 * and the tensors their forward function saved). Each rule first checks that the node has the
 * structure of that op, so that another custom op recorded under the same scope name is left to
 * the fallback.
 */
import * as tf from '@tensorflow/tfjs';
import type { TapeNode } from '../tfjs_internals';
import { only, type BatchingRule } from './common';

/** The node's saved tensors, alive, if there are exactly `count` of them. */
function savedTensors(node: TapeNode, count: number): tf.Tensor[] | undefined {
  const saved = node.saved;
  if (saved === undefined || saved.length !== count) return undefined;
  return saved.every((t) => t !== undefined && !t.isDisposed) ? saved : undefined;
}

/**
 * `softmaxCrossEntropy__op`: inputs '0' (labels) and '1' (logits), saved [labels, log-softmax of
 * the logits], one loss per row of the last axis. Both gradients are `dy` (a trailing axis put
 * back) times `±(softmax − labels)`, as tfjs's own custom gradient.
 */
const softmaxCrossEntropy: BatchingRule = (node, dys, names, k) => {
  const dy = only(node, dys);
  const saved = savedTensors(node, 2);
  const keys = Object.keys(node.inputs);
  if (dy === undefined || saved === undefined || keys.join() !== '0,1') return undefined;
  const [labels, logResult] = saved;
  const shape = node.inputs['1'].shape;
  const outShape = node.outputs[0].shape;
  if (
    !tf.util.arraysEqual(labels.shape, shape) ||
    !tf.util.arraysEqual(logResult.shape, shape) ||
    !tf.util.arraysEqual(outShape, shape.slice(0, -1))
  ) {
    return undefined;
  }
  const column = tf.reshape(dy, [k, ...outShape, 1]);
  const out: Record<string, tf.Tensor> = {};
  const labels32 = tf.cast(labels, 'float32');
  const probabilities = tf.exp(logResult);
  if (names.includes('1')) out['1'] = tf.mul(column, tf.sub(probabilities, labels32));
  if (names.includes('0')) out['0'] = tf.mul(column, tf.sub(labels32, probabilities));
  return out;
};

/**
 * `logSoftmax__op` (tf.logSoftmax, along the last axis, the only one tfjs allows): input '0',
 * saved [its output]; the gradient is `dy − Σ dy · softmax` per row.
 */
const logSoftmaxOp: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const saved = savedTensors(node, 1);
  if (dy === undefined || saved === undefined || Object.keys(node.inputs).join() !== '0') {
    return undefined;
  }
  const [value] = saved;
  const shape = node.inputs['0'].shape;
  if (
    !tf.util.arraysEqual(value.shape, shape) ||
    !tf.util.arraysEqual(node.outputs[0].shape, shape)
  ) {
    return undefined;
  }
  return { '0': tf.sub(dy, tf.mul(tf.sum(dy, -1, true), tf.exp(value))) };
};

export const SOFTMAX_OP_RULES: Record<string, BatchingRule> = {
  softmaxCrossEntropy__op: softmaxCrossEntropy,
  logSoftmax__op: logSoftmaxOp,
};
