/**
 * Keras-style training with Jacobian descent: `jdFit` and `jdFitDataset` take `model.fit`'s and
 * `model.fitDataset`'s arguments, plus the aggregator.
 */
export { jdFit } from './jd_fit';
export { jdFitDataset } from './jd_fit_dataset';
export type { DatasetLike } from './jd_fit_dataset';
export type { TensorData } from './data';
export { findSharedPart } from './shared_part';
export type { SharedPart } from './shared_part';
export type { JdFitArgs, JdFitDatasetArgs, JdOptions, LayerRef } from './options';
