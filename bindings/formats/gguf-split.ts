// Split GGUF files, as llama.cpp's gguf-split writes them: NAME-00001-of-0000N.gguf ... each a complete
// GGUF holding some of the tensors, with split.no (u16, from 0), split.count (u16) and, in the first,
// split.tensors.count (i32) and all the model's metadata. Merged here into one GgufFile over one byte
// array (the parts copied end to end, or used in place when they already lie end to end in one buffer).
import { asBytes } from './byte-reader.js';
import { ModelFormatError } from './errors.js';
import { type GgufFile, type GgufTensorInfo, parseGguf } from './gguf.js';

const SPLIT_NAME = /-(\d{5})-of-(\d{5})\.gguf$/;

/** For a split file name (…-00001-of-00003.gguf), the names of all its parts in order; undefined otherwise. */
export function ggufSplitNames(file: string): string[] | undefined {
  const m = SPLIT_NAME.exec(file);
  if (!m) return undefined;
  const count = Number(m[2]);
  if (count < 1) return undefined;
  const stem = file.slice(0, m.index);
  return Array.from({ length: count }, (_, i) => `${stem}-${String(i + 1).padStart(5, '0')}-of-${m[2]}.gguf`);
}

/** The parts' bytes as one array: a view when they are consecutive views of one buffer, else a copy. */
function joined(parts: Uint8Array[]): { bytes: Uint8Array; starts: number[] } {
  const starts: number[] = [];
  let total = 0;
  for (const p of parts) {
    starts.push(total);
    total += p.byteLength;
  }
  const first = parts[0];
  const inPlace = parts.every((p, i) => p.buffer === first.buffer && p.byteOffset === first.byteOffset + starts[i]);
  if (inPlace) return { bytes: new Uint8Array(first.buffer, first.byteOffset, total), starts };
  const bytes = new Uint8Array(total); // [total bytes]
  parts.forEach((p, i) => bytes.set(p, starts[i]));
  return { bytes, starts };
}

/** One GgufFile from all the parts of a split model, in order (part 1 first). */
export function mergeGgufSplits(parts: { bytes: ArrayBuffer | ArrayBufferView; file: string }[]): GgufFile {
  const { bytes, starts } = joined(parts.map((p) => asBytes(p.bytes)));
  const files = parts.map((p, i) => parseGguf(bytes.subarray(starts[i], starts[i] + asBytes(p.bytes).byteLength), p.file));
  const head = files[0];
  const count = head.metadata.get('split.count');
  if (count !== parts.length) throw new ModelFormatError(head.file, `split.count is ${String(count)}, but ${parts.length} part(s) were given`);
  const tensors = new Map<string, GgufTensorInfo>();
  files.forEach((g, i) => {
    if (g.metadata.get('split.no') !== i) throw new ModelFormatError(g.file, `split.no is ${String(g.metadata.get('split.no'))}, expected ${i} (parts out of order?)`);
    if (g.metadata.get('split.count') !== count) throw new ModelFormatError(g.file, `split.count ${String(g.metadata.get('split.count'))} differs from the first part's ${count}`);
    for (const t of g.tensors.values()) {
      if (tensors.has(t.name)) throw new ModelFormatError(g.file, `tensor "${t.name}" is in two parts`);
      tensors.set(t.name, { ...t, offset: t.offset + starts[i] });
    }
  });
  const expected = head.metadata.get('split.tensors.count');
  if (expected !== undefined && expected !== tensors.size) throw new ModelFormatError(head.file, `split.tensors.count is ${String(expected)}, but the parts hold ${tensors.size} tensors`);
  const metadata = new Map([...head.metadata].filter(([key]) => !key.startsWith('split.')));
  return { ...head, metadata, tensors, bytes };
}
