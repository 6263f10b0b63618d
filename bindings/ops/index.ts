// Public API of the integer nonlinear operators (issue 3). Each op validates its arguments, copies its
// inputs into the arena for one call and returns fresh typed arrays; the kernels' contracts are at the
// top of each assembly/nonlinear/*.ts file.
export { diExp } from './exp.js';
export { softmax, type SoftmaxOptions, type Probabilities } from './softmax.js';
export { PROB_BITS, PROB_ZERO, type ProbFormat } from './softmax-reference.js';
export { norm, normI32, quantizeGamma, foldNormIntoLinear, type NormOptions, type NormGamma } from './norm.js';
export { swiglu, swigluI32, quantizeSmoothing, type SwigluInput, type SmoothFactors } from './silu.js';
export { rope, ropeI32, type RopeInput } from './rope.js';
export { buildRopeTable, ROPE_FRAC_BITS, type RopeTable, type RopeLayout as IntRopeLayout } from './rope-table.js';
export { residualAdd, requantizeRows } from './residual.js';
export type { Residual } from './residual-reference.js';
export { quantizeRowsI8, quantizeRowsI32 } from './quantize.js';
export { dequantizeRows, dequantizeI32Rows, REQUANT_MAX_ERROR_STEPS } from './requant-reference.js';
