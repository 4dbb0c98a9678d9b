/**
 * Instance-wise Jacobian descent without the Jacobian: the Gramian of per-instance losses from layer
 * inputs and output gradients (TorchJD's `autogram`).
 */
export { Engine } from './engine';
export type { EngineOptions, Layer } from './engine';
export {
  denseKernelGramian,
  rowGradientGramian,
  biasGramian,
  embeddingGramian,
  conv2dKernelRowGradients,
  conv2dKernelTaskRows,
} from './gramian_rules';
export { findBatchMixingNode } from './batch_mixing';
