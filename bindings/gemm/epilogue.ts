// Contract constants of the DI-MatMul epilogue (assembly/gemm/epilogue.ts) that packers and callers
// check against; the scalar reference is ./epilogue.ref.ts.

/** Largest |p| stage 1 may produce; the caller's shift must guarantee it (|p| < 2^30). */
export const DI_P_LIMIT = 2 ** 30;
