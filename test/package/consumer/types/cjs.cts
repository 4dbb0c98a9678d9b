// node16, CommonJS: the `require` types of the exports map.
import jd = require('tfjs-jd');
import tf = require('@tensorflow/tfjs');
export const weights: tf.Tensor1D = new jd.UPGradWeighting().apply(tf.eye(2) as tf.Tensor2D);
// @ts-expect-error: a weighting takes a matrix
new jd.UPGradWeighting().apply('G');
