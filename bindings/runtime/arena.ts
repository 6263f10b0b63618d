// Linear-memory planning for the kernels. The wasm modules have no allocator of their own (the
// AssemblyScript stub runtime is never called): every buffer is an offset handed out here, planned once
// (weights, activations, KV cache, scratch) so that no hot loop allocates. Growing memory detaches
// every typed-array view, so views are built on demand from `memory.buffer` and never cached across
// a grow.

const PAGE = 65536;
/** wasm32 linear memory tops out at 65536 pages = 4 GiB. */
export const MAX_WASM_BYTES = 65536 * PAGE;

export interface ArenaMark {
  readonly top: number;
}

export class WasmArena {
  readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private top: number;
  /** Largest byte count the arena may reach (a Worker isolate's limit, say). */
  readonly limitBytes: number;

  constructor(memory: WebAssembly.Memory, heapBase: number, limitBytes = MAX_WASM_BYTES) {
    this.memory = memory;
    this.base = align(heapBase, 64);
    this.top = this.base;
    this.limitBytes = limitBytes;
  }

  /** Bytes handed out so far (including the static data below the heap base). */
  get usedBytes(): number {
    return this.top;
  }

  /**
   * Reserves `bytes` at `alignment` and returns the offset. Grows memory if needed, in one step.
   * `what` names the buffer in the error when the memory limit would be passed.
   */
  alloc(bytes: number, what: string, alignment = 64): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(`dyadic: cannot allocate ${bytes} bytes for ${what}`);
    }
    const offset = align(this.top, alignment);
    const end = offset + bytes;
    if (end > this.limitBytes) {
      throw new RangeError(
        `dyadic: ${what} needs ${bytes} bytes, which would bring wasm memory to ${end} bytes, ` +
          `past the limit of ${this.limitBytes} bytes`,
      );
    }
    this.ensure(end);
    this.top = end;
    return offset;
  }

  /** Makes sure memory holds at least `bytes` bytes (one grow, rounded up to whole pages). */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch (cause) {
      throw new RangeError(`dyadic: could not grow wasm memory from ${have} to ${bytes} bytes`, { cause });
    }
  }

  mark(): ArenaMark {
    return { top: this.top };
  }

  /** Frees everything allocated since `mark` (stack discipline: scratch for one call). */
  release(mark: ArenaMark): void {
    if (mark.top < this.base || mark.top > this.top) throw new Error('dyadic: arena mark released out of order');
    this.top = mark.top;
  }

  // Views over the current buffer. Build them after allocating, use them, drop them.
  u8(offset = 0, length?: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, offset, length);
  }
  i8(offset = 0, length?: number): Int8Array {
    return new Int8Array(this.memory.buffer, offset, length);
  }
  i16(offset: number, length: number): Int16Array {
    return new Int16Array(this.memory.buffer, offset, length);
  }
  u16(offset: number, length: number): Uint16Array {
    return new Uint16Array(this.memory.buffer, offset, length);
  }
  i32(offset: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, offset, length);
  }
  u32(offset: number, length: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, offset, length);
  }
  i64(offset: number, length: number): BigInt64Array {
    return new BigInt64Array(this.memory.buffer, offset, length);
  }
}

export function align(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
