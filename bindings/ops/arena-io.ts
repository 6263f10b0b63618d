// Moving typed arrays in and out of the wasm arena for one operator call: everything allocated inside
// `withScratch` is released when it returns (stack discipline), and views are built fresh after every
// allocation because growing memory detaches old views.

import type { DyadicRuntime } from '../runtime/instance.js';

type Typed = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

export class CallFrame {
  constructor(readonly rt: DyadicRuntime) {}

  /** Copies `data` into a fresh arena buffer; returns its byte offset. */
  put(data: Typed, what: string): number {
    const off = this.rt.arena.alloc(Math.max(data.byteLength, 16), what, 16);
    new Uint8Array(this.rt.arena.memory.buffer, off, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return off;
  }

  /** An uninitialised arena buffer of `bytes` bytes. */
  alloc(bytes: number, what: string): number {
    return this.rt.arena.alloc(Math.max(bytes, 16), what, 16);
  }

  i8(off: number, len: number): Int8Array {
    return new Int8Array(this.rt.arena.memory.buffer, off, len).slice();
  }
  u8(off: number, len: number): Uint8Array {
    return new Uint8Array(this.rt.arena.memory.buffer, off, len).slice();
  }
  u16(off: number, len: number): Uint16Array {
    return new Uint16Array(this.rt.arena.memory.buffer, off, len).slice();
  }
  i32(off: number, len: number): Int32Array {
    return new Int32Array(this.rt.arena.memory.buffer, off, len).slice();
  }
}

export function withScratch<T>(rt: DyadicRuntime, body: (f: CallFrame) => T): T {
  const mark = rt.arena.mark();
  try {
    return body(new CallFrame(rt));
  } finally {
    rt.arena.release(mark);
  }
}
