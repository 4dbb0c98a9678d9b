/**
 * Scalarizers: a tensor of losses (vector or matrix) → one scalar loss, one method per file, as
 * TorchJD's `scalarization` package. The baseline that Jacobian descent is compared to.
 */
export { Scalarizer } from './scalarizer_base';
export { Constant } from './constant';
export { COSMOS } from './cosmos';
export type { COSMOSOptions } from './cosmos';
export { DWA } from './dwa';
export type { DWAOptions } from './dwa';
export { FAMO } from './famo';
export type { FAMOOptions } from './famo';
export { GeometricMean } from './geometric_mean';
export { IMTLL } from './imtl_l';
export { Mean } from './mean';
export { PBI } from './pbi';
export type { PBIOptions } from './pbi';
export { Random } from './random';
export type { RandomOptions } from './random';
export { STCH } from './stch';
export type { STCHOptions } from './stch';
export { Sum } from './sum';
export { UW } from './uw';
export type { TrainableScalarizerOptions } from './uw';
export type { TensorLike } from './tensor_option';
