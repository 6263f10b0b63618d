// An independent check of invariant 1 (no float in the inference wasm): decodes the binary itself,
// section by section and instruction by instruction, and lists every place a float type or float
// instruction appears. It decodes every opcode it meets and throws on one it does not know, so a
// new instruction cannot slip through unexamined.

export interface FloatUse {
  where: string;
  what: string;
}

const F32 = 0x7d;
const F64 = 0x7c;

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error(`wasm scan: read past the end at ${this.pos}`);
    return this.bytes[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  }
  /** Signed LEB of any width: only skipped. */
  sleb(): void {
    while (this.byte() & 0x80);
  }
  skip(n: number): void {
    this.pos += n;
  }
}

// Scalar opcodes that touch f32/f64 (loads, stores, consts, compares, arithmetic, conversions).
function scalarIsFloat(op: number): boolean {
  return (
    op === 0x2a || op === 0x2b || op === 0x38 || op === 0x39 || op === 0x43 || op === 0x44 ||
    (op >= 0x5b && op <= 0x66) || (op >= 0x8b && op <= 0xa6) ||
    (op >= 0xa8 && op <= 0xab) || (op >= 0xae && op <= 0xbf)
  );
}

// SIMD (0xfd) opcodes that touch f32x4/f64x2, including relaxed SIMD's float operations.
function simdIsFloat(op: number): boolean {
  return (
    op === 0x13 || op === 0x14 || (op >= 0x1f && op <= 0x22) || (op >= 0x41 && op <= 0x4c) ||
    op === 0x5e || op === 0x5f || (op >= 0x67 && op <= 0x6a) || op === 0x74 || op === 0x75 ||
    op === 0x7a || op === 0x94 || (op >= 0xe0 && op <= 0xff) ||
    (op >= 0x101 && op <= 0x108) || (op >= 0x10d && op <= 0x110)
  );
}

function memarg(r: Reader): void {
  r.u32();
  r.u32();
}

function scanBody(r: Reader, end: number, where: string, out: FloatUse[]): void {
  // locals
  const groups = r.u32();
  for (let g = 0; g < groups; g++) {
    r.u32();
    const t = r.byte();
    if (t === F32 || t === F64) out.push({ where, what: `local of type ${t === F32 ? 'f32' : 'f64'}` });
  }
  while (r.pos < end) {
    const at = r.pos;
    const op = r.byte();
    if (scalarIsFloat(op)) out.push({ where: `${where}+${at}`, what: `opcode 0x${op.toString(16)}` });
    switch (true) {
      case op === 0x02 || op === 0x03 || op === 0x04: {
        const bt = r.bytes[r.pos];
        if (bt === 0x40 || bt === 0x7f || bt === 0x7e || bt === F32 || bt === F64 || bt === 0x7b || bt === 0x70 || bt === 0x6f) {
          if (bt === F32 || bt === F64) out.push({ where: `${where}+${at}`, what: 'float block type' });
          r.skip(1);
        } else r.sleb();
        break;
      }
      case op === 0x0c || op === 0x0d || op === 0x10 || (op >= 0x20 && op <= 0x26) || op === 0xd2:
        r.u32();
        break;
      case op === 0x0e: {
        const n = r.u32();
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case op === 0x11:
        r.u32();
        r.u32();
        break;
      case op === 0x1c: {
        const n = r.u32();
        r.skip(n);
        break;
      }
      case op >= 0x28 && op <= 0x3e:
        memarg(r);
        break;
      case op === 0x3f || op === 0x40 || op === 0xd0:
        r.skip(1);
        break;
      case op === 0x41 || op === 0x42:
        r.sleb();
        break;
      case op === 0x43:
        r.skip(4);
        break;
      case op === 0x44:
        r.skip(8);
        break;
      case op === 0xfc: {
        const sub = r.u32();
        if (sub <= 7) out.push({ where: `${where}+${at}`, what: `opcode 0xfc ${sub} (trunc_sat)` });
        else if (sub === 8) { r.u32(); r.skip(1); }
        else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) r.u32();
        else if (sub === 10) r.skip(2);
        else if (sub === 11) r.skip(1);
        else if (sub === 12 || sub === 14) { r.u32(); r.u32(); }
        else throw new Error(`wasm scan: unknown 0xfc ${sub} at ${where}+${at}`);
        break;
      }
      case op === 0xfd: {
        const sub = r.u32();
        if (simdIsFloat(sub)) out.push({ where: `${where}+${at}`, what: `simd opcode 0x${sub.toString(16)}` });
        if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) memarg(r);
        else if (sub === 0x0c || sub === 0x0d) r.skip(16);
        else if (sub >= 0x15 && sub <= 0x22) r.skip(1);
        else if (sub >= 0x54 && sub <= 0x5b) { memarg(r); r.skip(1); }
        else if (sub > 0x113) throw new Error(`wasm scan: unknown simd opcode 0x${sub.toString(16)} at ${where}+${at}`);
        break;
      }
      case op === 0xfe: {
        const sub = r.u32();
        if (sub === 0x03) r.skip(1);
        else memarg(r);
        break;
      }
      case op === 0x00 || op === 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b ||
        (op >= 0x45 && op <= 0xc4) || op === 0xd1:
        break;
      default:
        throw new Error(`wasm scan: unknown opcode 0x${op.toString(16)} at ${where}+${at}`);
    }
  }
}

/** Every float type or instruction in a wasm binary: [] means the module is integer-only. */
export function findFloatUses(bytes: Uint8Array): FloatUse[] {
  const r = new Reader(bytes);
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('wasm scan: not a wasm module');
  }
  r.skip(8);
  const out: FloatUse[] = [];
  let functionsSeen = 0;
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      // type section: any f32/f64 in a signature
      for (let i = r.pos; i < end; i++) {
        if (bytes[i] === F32 || bytes[i] === F64) out.push({ where: `type section+${i}`, what: 'float in a signature' });
      }
    } else if (id === 6) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const t = r.byte();
        if (t === F32 || t === F64) out.push({ where: `global ${i}`, what: 'float global' });
        r.skip(1);
        // init expression up to `end` opcode
        while (r.byte() !== 0x0b);
      }
    } else if (id === 10) {
      const n = r.u32();
      for (let f = 0; f < n; f++) {
        const bodySize = r.u32();
        const bodyEnd = r.pos + bodySize;
        scanBody(r, bodyEnd, `function ${f}`, out);
        if (r.pos !== bodyEnd) throw new Error(`wasm scan: function ${f} decoded to ${r.pos}, body ends at ${bodyEnd}`);
        functionsSeen++;
      }
    }
    r.pos = end;
  }
  if (functionsSeen === 0) throw new Error('wasm scan: the module has no code');
  return out;
}
