/**
 * PyTorch autograd semantics on TensorFlow.js: record a forward pass once, then differentiate it
 * any number of times from any recorded tensor, accumulating into `.grad` like PyTorch.
 */
export { record, disposeGraph, freeGraphsReaching } from './graph';
export { backward, grad, leafVariables, isRecorded, dependsOn } from './differentiation';
export type { BackwardOptions, GradOptions } from './differentiation';
export type { Variables, VariableLike } from './variable_list';
export {
  gradOf,
  jacOf,
  zeroGrad,
  gradsMap,
  accumulateGrad,
  accumulateJac,
  clearJac,
} from './store';
export { recordedNodes } from './recorded_nodes';
export { NotDifferentiableError, guardNonDifferentiable } from './non_differentiable';
export type { RecordedNode } from './recorded_nodes';
export { GraphFreedError, NotRecordedError } from '../errors';
/**
 * @internal The backprop primitives and tape-node type the autogram engine builds on; not part of
 * the public API.
 */
export { differentiate, inputGradients, nodesOnPaths } from './backprop';
/** @internal Finishing a backward pass from what an earlier pass computed (autogram's IWRM step). */
export { setGradientShortcut, type GradientShortcut } from './gradient_shortcuts';
/** @internal Batched backward passes (TorchJD's `parallel_chunk_size`), for autojac and autogram. */
export {
  differentiateBatched,
  differentiateInChunks,
  checkChunkSize,
  fallbackCounts,
} from './batched_backprop';
/** @internal */
export { BATCHED_KERNELS } from './batching_rules';
/** @internal */
export type { TapeNode } from './tfjs_internals';
