// Block-CSR format, packing, pruning and load-time validation (bindings/sparse/).
import { describe, expect, it } from 'vitest';
import { loadRuntime } from '../../bindings/entry/node.js';
import { BLOCK_SHAPES, blockBytes, blockGrid, blockRows, type BlockCsr, type BlockShape, type SparseBits } from '../../bindings/sparse/format.js';
import { packBlockCsr, unpackBlockCsr } from '../../bindings/sparse/pack.js';
import { pruneBlocks, pruneToBlockCsr } from '../../bindings/offline/prune.js';
import { SparseLinear } from '../../bindings/sparse/spmm.js';
import { validateBlockCsr } from '../../bindings/sparse/validate.js';
import { blockWeight } from '../../bindings/sparse/format.js';
import { randInt, randomInt8, rng, seeds } from './helpers.js';

const SEEDS = seeds(1, 2, 3);
const BITS: SparseBits[] = [8, 4];

function weightsWithZeroBlocks(seed: number, N: number, K: number, bits: SparseBits, block: BlockShape, zeroFraction: number) {
  const r = rng(seed);
  const qmax = bits === 8 ? 127 : 7;
  const values = randomInt8(r, N * K, -qmax - 1, qmax);
  const R = blockRows(block);
  const { NB, KB } = blockGrid(N, K, block);
  for (let b = 0; b < NB; b++) {
    for (let kb = 0; kb < KB; kb++) {
      if (r() >= zeroFraction) continue;
      for (let n = b * R; n < Math.min(N, b * R + R); n++) for (let k = kb * 16; k < Math.min(K, kb * 16 + 16); k++) values[n * K + k] = 0;
    }
  }
  const scales = Float64Array.from({ length: N }, () => 0.001 + r() * 0.01);
  return { rows: N, cols: K, bits, values, scales };
}

/** Brute-force count of the R x 16 blocks holding a nonzero (independent of the packer). */
function nonzeroBlocks(values: Int8Array, N: number, K: number, block: BlockShape): number {
  const R = blockRows(block);
  let count = 0;
  for (let n0 = 0; n0 < N; n0 += R) {
    for (let k0 = 0; k0 < K; k0 += 16) {
      let any = false;
      for (let n = n0; n < Math.min(N, n0 + R); n++) for (let k = k0; k < Math.min(K, k0 + 16); k++) any ||= values[n * K + k] !== 0;
      if (any) count++;
    }
  }
  return count;
}

describe('block-CSR packing', () => {
  for (const seed of SEEDS) {
    it(`round-trips dense -> block-CSR -> dense and stores exactly the nonzero blocks (seed ${seed})`, () => {
      const r = rng(seed);
      for (const bits of BITS) {
        for (const block of BLOCK_SHAPES) {
          for (let t = 0; t < 6; t++) {
            const N = randInt(r, 1, 13);
            const K = randInt(r, 1, 70);
            const w = weightsWithZeroBlocks(seed * 100 + t, N, K, bits, block, [0, 0.3, 0.7, 1][t % 4]);
            const { csr, report } = packBlockCsr(w, { block });
            expect(unpackBlockCsr(csr)).toEqual(w.values);
            const stored = nonzeroBlocks(w.values, N, K, block);
            expect(report.storedBlocks).toBe(stored);
            const { NB, KB } = blockGrid(N, K, block);
            expect(report.blocks).toBe(NB * KB);
            expect(report.blockSparsity).toBeCloseTo(1 - stored / (NB * KB), 12);
            expect(report.elementSparsity).toBeCloseTo(w.values.filter((v) => v === 0).length / (N * K), 12);
            expect(report.sparseBytes).toBe(stored * (blockBytes(block, bits) + 2) + 4 * (NB + 1));
            expect(report.denseBytes).toBe(Math.ceil((N * K * bits) / 8));
            expect(report.savedBytes).toBe(report.denseBytes - report.sparseBytes);
            for (let n = 0; n < N; n++) {
              let s = 0;
              for (let k = 0; k < K; k++) s += w.values[n * K + k];
              expect(csr.wsum[n]).toBe(s);
            }
            validateBlockCsr(csr);
          }
        }
      }
    });
  }

  it('lays blocks out as documented in format.ts (byte positions of each weight)', () => {
    // One 4x16 block row, K = 16, weights w[n][k] = distinct small values.
    const N = 4, K = 16;
    const values = Int8Array.from({ length: N * K }, (_, i) => ((i * 5) % 15) - 7);
    const scales = new Float64Array(N).fill(1);
    const i8x4 = packBlockCsr({ rows: N, cols: K, bits: 8, values, scales }, { block: '4x16' }).csr.values;
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) expect((i8x4[16 * n + k] << 24) >> 24).toBe(values[n * K + k]);
    const i4x4 = packBlockCsr({ rows: N, cols: K, bits: 4, values, scales }, { block: '4x16' }).csr.values;
    expect(i4x4.length).toBe(32);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const byte = i4x4[16 * (n >> 1) + k];
        const nibble = n & 1 ? byte >> 4 : byte & 15;
        expect((nibble << 28) >> 28).toBe(values[n * K + k]);
      }
    }
    const i4x1 = packBlockCsr({ rows: N, cols: K, bits: 4, values, scales }, { block: '1x16' }).csr.values;
    expect(i4x1.length).toBe(4 * 8);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const byte = i4x1[8 * n + (k & 7)];
        const nibble = k >= 8 ? byte >> 4 : byte & 15;
        expect((nibble << 28) >> 28).toBe(values[n * K + k]);
      }
    }
  });

  it('refuses weights that do not fit the bit width, and unknown block shapes', () => {
    const w = { rows: 1, cols: 4, bits: 4, values: Int8Array.from([0, 9, 0, 0]), scales: [1] };
    expect(() => packBlockCsr(w, { block: '4x16', name: 'wq' })).toThrow(/wq\[0\]\[1\] = 9 does not fit 4-bit/);
    expect(() => packBlockCsr({ ...w, bits: 8 }, { block: '2x8' as BlockShape })).toThrow(/unknown block shape '2x8'/);
  });
});

describe('block pruning', () => {
  for (const seed of SEEDS) {
    it(`reaches the target sparsity by smallest block magnitude, global and per row (seed ${seed})`, () => {
      const r = rng(seed);
      for (const block of BLOCK_SHAPES) {
        const N = randInt(r, 8, 24);
        const K = randInt(r, 40, 130);
        const w = weightsWithZeroBlocks(seed, N, K, 8, block, 0.1);
        const { NB, KB } = blockGrid(N, K, block);
        const R = blockRows(block);
        const magnitude = (values: Int8Array, b: number, kb: number) => {
          let m = 0;
          for (let n = b * R; n < Math.min(N, b * R + R); n++) for (let k = kb * 16; k < Math.min(K, kb * 16 + 16); k++) m += w.scales[n] * Math.abs(values[n * K + k]);
          return m;
        };
        for (const sparsity of [0, 0.25, 0.5, 0.9, 1]) {
          const { csr, report, pruned } = pruneToBlockCsr(w, { block, sparsity, scope: 'global' });
          expect(report.storedBlocks).toBeLessThanOrEqual(Math.round((1 - sparsity) * NB * KB));
          // every dropped block weighs no more than any kept block; kept weights are unchanged
          let maxDropped = 0;
          let minKept = Infinity;
          for (let b = 0; b < NB; b++) {
            for (let kb = 0; kb < KB; kb++) {
              const m = magnitude(w.values, b, kb);
              if (magnitude(pruned.values, b, kb) === 0) maxDropped = Math.max(maxDropped, m);
              else minKept = Math.min(minKept, m);
            }
          }
          expect(maxDropped).toBeLessThanOrEqual(minKept);
          for (let i = 0; i < w.values.length; i++) if (pruned.values[i] !== 0) expect(pruned.values[i]).toBe(w.values[i]);
          expect(unpackBlockCsr(csr)).toEqual(pruned.values);

          const perRow = pruneToBlockCsr(w, { block, sparsity, scope: 'row' });
          for (let b = 0; b < NB; b++) {
            expect(perRow.csr.rowPtr[b + 1] - perRow.csr.rowPtr[b]).toBeLessThanOrEqual(KB - Math.round(sparsity * KB));
          }
        }
      }
    });
  }

  it('keeps weights that already contain zero blocks as they are at sparsity 0', () => {
    const w = weightsWithZeroBlocks(7, 12, 64, 8, '4x16', 0.5);
    const pruned = pruneBlocks(w, { block: '4x16', sparsity: 0 });
    expect(pruned.values).toEqual(w.values);
    const { report } = packBlockCsr(w, { block: '4x16' });
    expect(report.storedBlocks).toBe(nonzeroBlocks(w.values, 12, 64, '4x16'));
    expect(report.blockSparsity).toBeGreaterThan(0.2);
  });

  it('rejects a target outside 0..1 and an unknown scope', () => {
    const w = weightsWithZeroBlocks(1, 4, 16, 8, '4x16', 0);
    expect(() => pruneBlocks(w, { block: '4x16', sparsity: 1.5 })).toThrow(/target sparsity must be in 0..1, got 1.5/);
    expect(() => pruneBlocks(w, { block: '4x16', sparsity: 0.5, scope: 'col' as never })).toThrow(/scope must be 'global' or 'row'/);
  });
});

describe('block-CSR validation (load time)', () => {
  const base = (): BlockCsr => {
    const w = weightsWithZeroBlocks(11, 9, 40, 8, '4x16', 0.3);
    return packBlockCsr(w, { block: '4x16' }).csr;
  };
  const cases: Array<[string, (c: BlockCsr) => BlockCsr, RegExp]> = [
    ['row pointers that decrease', (c) => ({ ...c, rowPtr: Int32Array.from(c.rowPtr, (v, i) => (i === 1 ? c.rowPtr[2] + 1 : v)) }), /rowPtr decreases at block row 1|block row 0 has/],
    ['a first row pointer that is not 0', (c) => ({ ...c, rowPtr: Int32Array.from(c.rowPtr, (v, i) => (i === 0 ? 1 : v)) }), /rowPtr\[0\] = 1, expected 0/],
    ['a last row pointer past colIdx', (c) => ({ ...c, rowPtr: Int32Array.from(c.rowPtr, (v, i) => (i === c.rowPtr.length - 1 ? v + 1 : v)) }), /but colIdx has/],
    ['too many row pointers (block shape mismatch)', (c) => ({ ...c, block: '1x16' }), /rowPtr has 4 entries, expected NB \+ 1 = 10 .*block shape mismatch/],
    ['a payload of the wrong size (bits mismatch)', (c) => ({ ...c, bits: 4 }), /values has \d+ bytes, expected .* int4 4x16/],
    ['a column index out of range', (c) => ({ ...c, colIdx: Uint16Array.from(c.colIdx, (v, i) => (i === c.colIdx.length - 1 ? 3 : v)) }), /colIdx\[\d+\] = 3 .* out of range: K = 40 has 3 block columns/],
    ['a huge column index', (c) => ({ ...c, colIdx: Uint16Array.from(c.colIdx, (v, i) => (i === 0 ? 65535 : v)) }), /colIdx\[0\] = 65535/],
    ['column indices out of order', (c) => ({ ...c, colIdx: Uint16Array.from(c.colIdx, (v, i) => (i === 1 ? c.colIdx[0] : v)) }), /not strictly increasing|colIdx\[1\]/],
    ['a wrong weight row sum', (c) => ({ ...c, wsum: Int32Array.from(c.wsum, (v, i) => (i === 2 ? v + 1 : v)) }), /wsum\[2\] = .* but the stored weights sum to/],
    ['nonzero padding past N', (c) => {
      const values = c.values.slice();
      const last = c.rowPtr[c.rowPtr.length - 2]; // first block of the last block row (channels 8..11, N = 9)
      values[last * 64 + 3 * 16] = 5;
      return { ...c, values };
    }, /holds 5 at padding position \(channel 11/],
    ['a row-pointer array of the wrong type', (c) => ({ ...c, rowPtr: Array.from(c.rowPtr) as unknown as Int32Array }), /rowPtr must be an Int32Array/],
    ['K past the limit', (c) => ({ ...c, K: 70000 }), /K must be an integer in 1..65536, got 70000/],
  ];
  for (const [what, corrupt, message] of cases) {
    it(`rejects ${what} with a named error, before anything reaches wasm`, async () => {
      const good = base();
      expect(() => validateBlockCsr(good, 'layers.0.wq')).not.toThrow();
      const bad = corrupt(good);
      expect(() => validateBlockCsr(bad, 'layers.0.wq')).toThrow(message);
      expect(() => validateBlockCsr(bad, 'layers.0.wq')).toThrow(/block-CSR tensor layers.0.wq/);
      const rt = await loadRuntime({ build: 'simd' });
      const before = rt.arena.usedBytes;
      expect(() => SparseLinear.load(rt, bad, 'layers.0.wq')).toThrow(message);
      expect(rt.arena.usedBytes).toBe(before);
    });
  }

  it('checks every block of a valid tensor, including the last block row (blockWeight reads it all)', () => {
    const c = base();
    let sum = 0;
    for (let p = 0; p < c.colIdx.length; p++) for (let r = 0; r < 4; r++) for (let k = 0; k < 16; k++) sum += blockWeight(c.values, c.block, c.bits, p, r, k);
    expect(sum).toBe(c.wsum.reduce((a, b) => a + b, 0));
  });
});
