// The PRNG of llama2.c's run.c (xorshift64*, top 32 bits), so a seed means the same stream of numbers
// here as there, in every host. The 64-bit state is kept as two uint32 halves and the 64-bit multiply is
// done in 16-bit pieces: exact, and a draw allocates nothing (BigInt arithmetic would, every token).
const MULT_HI = 0x2545f491; // 0x2545f4914f6cdd1d
const MULT_LO = 0x4f6cdd1d;

/** High 32 bits of the 64-bit product of two uint32 (exact in doubles: every partial sum < 2^53). */
function mulHi32(a: number, b: number): number {
  const a1 = a >>> 16, a0 = a & 0xffff, b1 = b >>> 16, b0 = b & 0xffff;
  const mid = a1 * b0 + a0 * b1 + ((a0 * b0) >>> 16);
  return (a1 * b1 + Math.floor(mid / 65536)) >>> 0;
}

export class Xorshift64Star {
  /** [hi, lo] uint32 halves of the state (a typed array: storing a uint32 in an object field boxes it in V8). */
  private readonly s = new Uint32Array(2);

  /** A zero state would stay zero forever, so seed 0 is mapped to 1. */
  constructor(seed: number | bigint) {
    const s = BigInt.asUintN(64, BigInt(seed));
    this.s[0] = Number(s >> 32n);
    this.s[1] = Number(s & 0xffffffffn);
    if (s === 0n) this.s[1] = 1;
  }

  nextU32(): number {
    this.advance();
    return this.top32();
  }

  /**
   * floor(nextU32() * n / 2^32): a uniform integer in [0, n) for n <= 2^21 (exact: the product stays below
   * 2^53). Returns a small integer, so a draw per token allocates nothing even where the engine would box
   * a uint32 return value.
   */
  below(n: number): number {
    this.advance();
    return Math.floor((this.top32() * n) / 4294967296);
  }

  /** One xorshift64 step of the state. */
  private advance(): void {
    let hi = this.s[0];
    let lo = this.s[1];
    // s ^= s >> 12
    lo = (lo ^ ((lo >>> 12) | (hi << 20))) >>> 0;
    hi = (hi ^ (hi >>> 12)) >>> 0;
    // s ^= s << 25 (mod 2^64)
    hi = (hi ^ ((hi << 25) | (lo >>> 7))) >>> 0;
    lo = (lo ^ (lo << 25)) >>> 0;
    // s ^= s >> 27
    lo = (lo ^ ((lo >>> 27) | (hi << 5))) >>> 0;
    hi = (hi ^ (hi >>> 27)) >>> 0;
    this.s[0] = hi;
    this.s[1] = lo;
  }

  /** The output: top 32 bits of (state * MULT) mod 2^64. */
  private top32(): number {
    return (mulHi32(this.s[1], MULT_LO) + Math.imul(this.s[1], MULT_HI) + Math.imul(this.s[0], MULT_LO)) >>> 0;
  }

  /** Uniform in [0, 1) with 24 random bits, as run.c's random_f32. */
  nextFloat(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }
}
