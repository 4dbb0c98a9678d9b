/**
 * The backend layer: choosing the fastest backend, the wasm kernel fixes, zero-copy reads of the
 * wasm heap.
 */
export {
  BACKEND_ORDER,
  BackendUnavailableError,
  backendEnvironment,
  chooseFastestBackend,
  useFastestBackend,
} from './use_fastest_backend';
export type {
  BackendAttempt,
  BackendChoice,
  BackendEnvironment,
  BackendModule,
  BackendName,
  UseFastestBackendOptions,
} from './use_fastest_backend';
export { installFastTransposedMatMul } from './wasm_matmul';
export { installConv2DBackpropFilter } from './wasm_conv2d_backprop_filter';
export { installConv2DBackpropInput } from './wasm_conv2d_backprop_input';
export { installDepthwiseConv2dBackprop } from './wasm_depthwise_conv2d_backprop';
export { installUnsortedSegmentSum } from './wasm_unsorted_segment_sum';
