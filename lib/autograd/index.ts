/**
 * PyTorch autograd semantics on TensorFlow.js: record a forward pass once, then differentiate it
 * any number of times from any recorded tensor, accumulating into `.grad` like PyTorch.
 */
export { record, disposeGraph, freeGraphsReaching } from './graph';
export { backward, grad, leafVariables, isRecorded, dependsOn } from './differentiation';
export type { BackwardOptions, GradOptions } from './differentiation';
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
export type { RecordedNode } from './recorded_nodes';
export { GraphFreedError, NotRecordedError } from '../errors';
