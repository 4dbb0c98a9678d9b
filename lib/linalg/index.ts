/** Small dense float64 linear algebra on `m × m` matrices, and the dual-cone projectors. */
export { computeGramian, normalize, regularize } from './gramian';
export { cholesky, invertLowerTriangular } from './cholesky';
export { projectOntoSimplex } from './simplex';
export { softmax } from './softmax';
export { toMatrix64, toTensor1D } from './matrix';
export { ActiveSetProjector, QuadprogProjector, projectorOrDefault } from './dual_cone';
export type { DualConeProjector, ProjectorChoice, QuadprogProjectorOptions } from './dual_cone';
export type { Matrix64 } from './matrix';
export { symmetricEigen } from './symmetric_eigen';
export type { SymmetricEigen } from './symmetric_eigen';
export { pseudoInverseSymmetric } from './pseudo_inverse';
export { solveLinearSystem } from './solvers/dense_solve';
export { solveConflictAverse } from './solvers/cagrad';
export type { ConflictAverseSolution } from './solvers/cagrad';
export { solveAlphaFairness } from './solvers/fairgrad';
export type { AlphaFairnessSolution } from './solvers/fairgrad';
export { solveNashSubproblem } from './solvers/nash_mtl';
