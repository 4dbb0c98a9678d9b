/**
 * Jacobian descent's backward passes: TorchJD's `autojac` (`backward`, `jac`, `jacToGrad`,
 * `mtlBackward`) and the tfjs-idiomatic `mtlGrads`.
 */
export { backward } from './backward';
export type { JacBackwardOptions } from './backward';
export { jac } from './jac';
export type { JacOptions } from './jac';
export { jacToGrad } from './jac_to_grad';
export type { JacToGradOptions } from './jac_to_grad';
export { mtlBackward } from './mtl_backward';
export type { MtlBackwardOptions } from './mtl_backward';
export { mtlGrads } from './mtl_grads';
export type { MtlGradsOptions, MtlGradsResult } from './mtl_grads';
export type { MtlInputs } from './mtl_jacobian';
