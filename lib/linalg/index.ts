/** Small dense float64 linear algebra on `m × m` matrices, and the dual-cone projectors. */
export { computeGramian, normalize, regularize } from './gramian';
export { cholesky, invertLowerTriangular } from './cholesky';
export { projectOntoSimplex } from './simplex';
export { ActiveSetProjector, QuadprogProjector } from './dual_cone';
export type { DualConeProjector, QuadprogProjectorOptions } from './dual_cone';
export type { Matrix64 } from './matrix';
