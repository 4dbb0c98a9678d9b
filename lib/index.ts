/**
 * tfjs-jd: Jacobian descent for TensorFlow.js.
 *
 * Everything is exported flat, and by layer through the namespaces `autograd`, `autojac`,
 * `autogram`, `aggregation`, `scalarization` and `linalg`. Where names clash, the flat export is the
 * aggregator (`Mean`, `Sum`, `Constant`, `Random`; the scalarizers of those names are
 * `scalarization.Mean`…) and the autograd function (`backward`; autojac's is `autojac.backward`).
 *
 * @packageDocumentation
 */
import * as aggregation from './aggregation';
import * as autograd from './autograd';
import * as autogram from './autogram';
import * as autojac from './autojac';
import * as linalg from './linalg';
import * as scalarization from './scalarization';
import * as training from './training';

export { aggregation, autograd, autogram, autojac, linalg, scalarization };
export { training };

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
export type { BackwardOptions, GradOptions, Variables, VariableLike } from './autograd';
export { jac, jacToGrad, mtlBackward, mtlGrads } from './autojac';
export type {
  JacBackwardOptions,
  JacOptions,
  JacToGradOptions,
  MtlBackwardOptions,
  MtlGradsOptions,
  MtlGradsResult,
} from './autojac';
export { Engine } from './autogram';
export type { EngineOptions } from './autogram';
export {
  Scalarizer,
  COSMOS,
  DWA,
  FAMO,
  GeometricMean,
  IMTLL,
  PBI,
  STCH,
  UW,
} from './scalarization';
export { jdFit, jdFitDataset } from './training';
export type { DatasetLike, JdFitArgs, JdFitDatasetArgs, JdOptions, TensorData } from './training';
export { ActiveSetProjector, QuadprogProjector } from './linalg';
export type { DualConeProjector, QuadprogProjectorOptions } from './linalg';
export {
  BACKEND_ORDER,
  BackendUnavailableError,
  chooseFastestBackend,
  useFastestBackend,
  installFastTransposedMatMul,
  installConv2DBackpropFilter,
  installConv2DBackpropInput,
  installDepthwiseConv2dBackprop,
  installUnsortedSegmentSum,
} from './backend';
export type {
  BackendAttempt,
  BackendChoice,
  BackendEnvironment,
  BackendModule,
  BackendName,
  UseFastestBackendOptions,
} from './backend';
export * from './errors';
export { NotDifferentiableError } from './autograd/non_differentiable';
export type { RemovableHandle, ForwardHook, ForwardPreHook } from './hooks';
