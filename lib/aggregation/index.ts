/**
 * Aggregators (`m × n` Jacobian → `n` update direction) and weightings (`m × m` Gramian or matrix
 * → `m` weights), one method per file, as TorchJD's `aggregation` package.
 */
export { Aggregator, WeightedAggregator, GramianWeightedAggregator } from './aggregator_bases';
export { Weighting, GramianWeighting, MatrixWeighting } from './weighting_bases';
export { Constant, ConstantWeighting } from './constant';
export { DualProj, DualProjWeighting } from './dualproj';
export type { DualProjOptions } from './dualproj';
export { Mean, MeanWeighting } from './mean';
export { MGDA, MGDAWeighting } from './mgda';
export type { MGDAOptions } from './mgda';
export { Random, RandomWeighting } from './random';
export type { RandomOptions } from './random';
export { Sum, SumWeighting } from './sum';
export { UPGrad, UPGradWeighting } from './upgrad';
export { PrefVector } from './pref_vector';
export type { UPGradOptions } from './upgrad';
