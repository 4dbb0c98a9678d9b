/**
 * tfjs-jd: Jacobian descent for TensorFlow.js.
 *
 * Everything is exported flat, and by layer through the namespaces `autograd`, `autojac`,
 * `aggregation` and `linalg`. Where names clash, the flat export is the aggregator (`Mean`, `Sum`,
 * `Constant`, `Random`) and the autograd function (`backward`); autojac's `backward` is
 * `autojac.backward`.
 *
 * @packageDocumentation
 */
import * as aggregation from './aggregation';
import * as autograd from './autograd';
import * as autojac from './autojac';
import * as linalg from './linalg';

export { aggregation, autograd, autojac, linalg };

export * from './aggregation';
export {
  record,
  backward,
  grad,
  gradOf,
  jacOf,
  zeroGrad,
  gradsMap,
  disposeGraph,
} from './autograd';
export type { BackwardOptions, GradOptions } from './autograd';
export { jac, jacToGrad, mtlBackward, mtlGrads } from './autojac';
export type {
  JacBackwardOptions,
  JacOptions,
  JacToGradOptions,
  MtlBackwardOptions,
  MtlGradsOptions,
  MtlGradsResult,
} from './autojac';
export { ActiveSetProjector, QuadprogProjector } from './linalg';
export type { DualConeProjector, QuadprogProjectorOptions } from './linalg';
export { useFastestBackend } from './backend';
export type { BackendName } from './backend';
export { installFastTransposedMatMul } from './wasm_matmul';
export * from './errors';
export type { RemovableHandle, ForwardHook, ForwardPreHook } from './hooks';
