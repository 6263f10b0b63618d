// Public API of dyadic, shared by every host entry (bindings/entry/*).
export { loadRuntime, type LoadOptions } from './runtime/load.js';
export { relaxedSimdSupported, resolveBuild, type Build, type BuildChoice } from './runtime/features.js';
export { DyadicRuntime, type RuntimeOptions } from './runtime/instance.js';
export { WasmArena } from './runtime/arena.js';
