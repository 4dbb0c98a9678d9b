/**
 * Aggregators (`m × n` Jacobian → `n` update direction) and weightings (`m × m` Gramian or matrix
 * → `m` weights), one method per file, as TorchJD's `aggregation` package.
 */
export { Aggregator, WeightedAggregator, GramianWeightedAggregator } from './aggregator_bases';
export { Weighting, GramianWeighting, MatrixWeighting } from './weighting_bases';
export { LossAwareAggregator, isLossAware } from './loss_aware';
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
export { AlignedMTL, AlignedMTLWeighting } from './aligned_mtl';
export type { AlignedMTLOptions, AlignedMTLScaleMode } from './aligned_mtl';
export { CAGrad, CAGradWeighting } from './cagrad';
export type { CAGradOptions } from './cagrad';
export { ConFIG } from './config';
export type { ConFIGOptions } from './config';
export { CRMOGMWeighting } from './cr_mogm';
export type { CRMOGMOptions } from './cr_mogm';
export { ExcessMTL, ExcessMTLWeighting } from './excess_mtl';
export type { ExcessMTLOptions } from './excess_mtl';
export { FairGrad, FairGradWeighting } from './fairgrad';
export type { FairGradOptions } from './fairgrad';
export { GradDrop } from './graddrop';
export type { GradDropOptions } from './graddrop';
export { GradVac, GradVacWeighting } from './gradvac';
export type { GradVacOptions } from './gradvac';
export { IMTLG, IMTLGWeighting } from './imtl_g';
export { Krum, KrumWeighting } from './krum';
export type { KrumOptions } from './krum';
export { MoDoWeighting } from './modo';
export type { MoDoOptions } from './modo';
export { NashMTL, NashMTLWeighting } from './nash_mtl';
export type { NashMTLOptions } from './nash_mtl';
export { PCGrad, PCGradWeighting } from './pcgrad';
export type { SeedOptions } from './pcgrad';
export { SDMGradWeighting } from './sdmgrad';
export type { SDMGradOptions } from './sdmgrad';
export { TrimmedMean } from './trimmed_mean';
export type { TrimmedMeanOptions } from './trimmed_mean';
