// The PRNG of llama2.c's run.c (xorshift64*, top 32 bits), so a seed means the same stream of numbers
// here as there, in every host. BigInt keeps the 64-bit arithmetic exact; one draw per token is cheap.
const MASK64 = (1n << 64n) - 1n;
const MULT = 0x2545f4914f6cdd1dn;

export class Xorshift64Star {
  private state: bigint;

  /** A zero state would stay zero forever, so seed 0 is mapped to 1. */
  constructor(seed: number | bigint) {
    const s = BigInt.asUintN(64, BigInt(seed));
    this.state = s === 0n ? 1n : s;
  }

  nextU32(): number {
    let s = this.state;
    s ^= s >> 12n;
    s = (s ^ (s << 25n)) & MASK64;
    s ^= s >> 27n;
    this.state = s;
    return Number(((s * MULT) & MASK64) >> 32n);
  }

  /** Uniform in [0, 1) with 24 random bits, as run.c's random_f32. */
  nextFloat(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }
}
