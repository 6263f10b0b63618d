// Feature detection for the two wasm builds.

/** The two kernel builds compiled from one AssemblyScript source (asconfig.json targets). */
export type Build = 'simd' | 'relaxed';
/** What a caller may ask for: a build by name, or the best one this engine validates. */
export type BuildChoice = Build | 'auto';

// The smallest module that uses a relaxed-SIMD instruction:
// (func (result v128) (i8x16.relaxed_swizzle (v128.const 0) (v128.const 0))).
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section
  0x0a, 0x2b, 0x01, 0x29, 0x00, // code section, one body of 41 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0x80, 0x02, // i8x16.relaxed_swizzle (0xfd 0x100)
  0x0b, // end
]);

/** True when this engine accepts relaxed SIMD (Node >= 22, Chrome >= 114, workerd; Node 20 behind a flag). */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

/** Resolves 'auto' to the fastest build this engine runs; rejects a forced build it cannot run. */
export function resolveBuild(choice: BuildChoice = 'auto'): Build {
  if (choice === 'auto') return relaxedSimdSupported() ? 'relaxed' : 'simd';
  if (choice !== 'simd' && choice !== 'relaxed') {
    throw new TypeError(`dyadic: unknown build '${String(choice)}' (expected 'simd', 'relaxed' or 'auto')`);
  }
  if (choice === 'relaxed' && !relaxedSimdSupported()) {
    throw new Error(
      "dyadic: the 'relaxed' build needs relaxed SIMD, which this engine does not validate " +
        '(Node 20 needs --experimental-wasm-relaxed-simd; Node >= 22, Chrome >= 114 and workerd have it)',
    );
  }
  return choice;
}
