// Replaces AssemblyScript's `abort` import: the kernels never format messages in wasm.
// The TypeScript layer validates every argument before a call, so reaching this is a bug;
// it traps, and bindings/runtime/instance.ts turns the trap into an error naming the kernel.
export function trap(message: string | null, fileName: string | null, line: u32, column: u32): void {
  unreachable();
}
