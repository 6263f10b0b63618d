// `dyadic quantize -m MODEL.gguf -o OUT.gguf --format q4_0|q4_1|q5_0|q5_1|q8_0|q2_k|q3_k|q4_k|q5_k|q6_k [--pure]`
//   writes a standard llama.cpp GGUF by llama.cpp's own round-to-nearest (the 32-element types come out
//   byte-identical to llama.cpp's quantizer; --pure puts every matrix in the type, otherwise the output
//   matrix takes Q6_K (Q8_0 where it does not fit) as llama.cpp's default mix does).
// `--bits 2|3|4|5|6|8 --group 32 [--format TYPE]` (or `--format TYPE --gptq`) instead runs GPTQ inside each
//   block with MSE-searched scales and activation-aware smoothing, calibrated on --calib text or on text the
//   float model samples, and writes the llama.cpp type that fits the bits (K-quants where rows are whole
//   256-element super-blocks, else the 32-element type).
// Rows that are not whole blocks of a type fall back as llama.cpp's quantizer does (to F16 at the end).
import { writeFileSync } from 'node:fs';
import { type ParsedFlags, UsageError } from './args.js';
import { loadModelFromPath, readBytes } from '../entry/node-files.js';
import { calibrate, progress } from './calibration.js';
import { parseGguf } from '../formats/gguf.js';
import { BLOCK_CODECS, codecByName } from '../offline/ggml-blocks.js';
import {
  BLOCK_BITS, FILE_TYPE, type TensorType, encodeMatrix, isLlamaCppType, storedType, modelTensor, typePolicy, typeForBits, typeName, writeLlamaCppGguf,
} from '../offline/llamacpp-gguf.js';
import { type BitAllocation, type MatrixInfo, allocateBits, measureSensitivity } from '../offline/mixed-precision.js';
import { DYADIC_GROUP_SIZES } from '../formats/tensor-types.js';
import type { LayerHessians } from '../offline/calibrate.js';
import { smoothLlama } from '../offline/smooth-model.js';
import type { RoundTrip } from '../offline/smooth.js';

/** What a tensor's type does to a matrix, for the smoothing search (plain floats pass through). */
export function roundTripOf(type: TensorType): RoundTrip {
  if (typeof type === 'string') return (w) => w;
  return (w, rows, cols) => encodeMatrix(type, w, rows, cols, { gptq: true }).dequantized;
}

export async function quantizeBlocksCommand(f: ParsedFlags): Promise<void> {
  const json = f.json === true;
  const show = progress(!json && process.stderr.isTTY === true);
  const started = performance.now();
  const format = f.format === undefined ? undefined : codecByName(String(f.format));
  if (f.format !== undefined && !format) {
    throw new UsageError(`--format ${f.format} is not one of ${BLOCK_CODECS.map((c) => c.name.toLowerCase()).join(', ')}`);
  }
  const bits = f.bits as number | undefined;
  if (bits !== undefined && !(BLOCK_BITS as readonly number[]).includes(bits)) throw new UsageError(`--bits must be one of ${BLOCK_BITS.join(', ')} with --group, got ${bits}`);
  const group = (f.group as number | undefined) ?? 32;
  if (!(DYADIC_GROUP_SIZES as readonly number[]).includes(group)) throw new UsageError(`--group must be 32, 64 or 128, got ${group}`);
  const targetBpw = f.targetBpw as number | undefined;
  if (targetBpw !== undefined && !(targetBpw >= 2.5 && targetBpw <= 9)) throw new UsageError(`--target-bpw ${targetBpw} must be between 2.5 and 9`);
  if (targetBpw !== undefined && (format || bits !== undefined)) throw new UsageError('--target-bpw chooses the bits of every tensor: drop --format/--bits');
  if (!format && bits === undefined && targetBpw === undefined) throw new UsageError('--format TYPE, --bits B or --target-bpw X is required');
  if (f.actBits !== undefined || f.sparsity !== undefined) throw new UsageError('--act-bits and --sparsity apply to dyadic\'s integer files (--bits without --format/--group)');

  const model = loadModelFromPath(String(f.model));
  if (model.format !== 'gguf') throw new UsageError(`${model.file}: llama.cpp files are written from a GGUF source (F32 or F16), not ${model.format}`);
  if (model.quantized) throw new UsageError(`${model.file} is a dyadic integer file; quantize its float source instead`);
  const source = parseGguf(readBytes(String(f.model)), String(f.model));
  const gptq = bits !== undefined || targetBpw !== undefined || f.gptq === true;
  const pure = f.pure === true;
  const matrices: MatrixInfo[] = [...source.tensors.values()]
    .filter((t) => t.dims.length === 2 && modelTensor(model.weights, t.name))
    .map((t) => ({ name: t.name, rows: t.dims[1], cols: t.dims[0] }));
  let cal: { hessians: LayerHessians[]; calibration: string; sequences: number[][] } | undefined;
  if (gptq) cal = calibrate(model, f, show);
  let typeOf = typePolicy({ format, bits: bits ?? 8, group, pure });
  let allocation: BitAllocation | undefined;
  if (targetBpw !== undefined) {
    // sensitivity on the calibration text's first sequences (round-to-nearest with searched scales)
    const sequences = cal!.sequences.slice(0, 4).map((q) => q.slice(0, 128));
    const typeFor = (b: number, cols: number) => typeForBits(b, cols, group);
    const { sensitivity } = measureSensitivity(model.config, model.weights, matrices, BLOCK_BITS, typeFor, sequences, (d, n) => show('measuring sensitivity', d, n));
    const storedBits = (m: MatrixInfo, b: number) => {
      const t = typeFor(b, m.cols);
      return m.rows * (Math.ceil(m.cols / t.blockSize) * t.blockBytes) * 8;
    };
    allocation = allocateBits(matrices, BLOCK_BITS, sensitivity, targetBpw, storedBits);
    const chosen = allocation.bits;
    typeOf = (name, _rows, cols) => typeFor(chosen.get(name) ?? 8, cols);
  }
  const types = matrices.map((m) => typeOf(m.name, m.rows, m.cols));
  // a file with any of dyadic's own types is dyadic's own: rows that are not whole blocks are padded
  const pad = types.some((t) => !isLlamaCppType(t));
  const mostCommon = () => {
    const n = new Map<TensorType, number>();
    for (const t of types) n.set(t, (n.get(t) ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1])[0][0];
  };
  const main: TensorType = format ?? (targetBpw !== undefined ? mostCommon() : typeForBits(bits!, model.config.dim, group));
  const fitted = (name: string) => {
    const t = source.tensors.get(name)!;
    const wanted = typeOf(name, t.elements / t.dims[0], t.dims[0]);
    return storedType(wanted, t.dims[0], pad);
  };

  let weights = model.weights;
  let hessians;
  let calibration: string | undefined;
  if (cal) {
    calibration = cal.calibration;
    const smoothed = smoothLlama(model.config, model.weights, cal.hessians, (name) => roundTripOf(fitted(`${name}.weight`)));
    show('smoothing', 1, 1);
    weights = smoothed.weights;
    hessians = smoothed.hessians;
  }
  const how = (gptq
    ? `GPTQ in blocks, MSE-searched scales, smoothing; calibrated on ${calibration}`
    : 'round-to-nearest (llama.cpp reference)')
    + (allocation ? `; bits per tensor for ${targetBpw} bits/parameter by measured sensitivity (predicted NLL +${allocation.predictedLoss.toFixed(4)})` : '')
    + (pad ? '; dyadic\'s own types (llama.cpp cannot read this file)' : '');
  const what = targetBpw !== undefined ? `target-bpw ${targetBpw}` : `${bits !== undefined ? `bits ${bits} group ${group}, ` : ''}${typeName(main)}${pure ? ' pure' : ''}`;
  const file = writeLlamaCppGguf(source, model.config, weights, {
    typeOf, gptq, hessians, pad, fileType: FILE_TYPE[typeName(main)] ?? 0,
    // the round-to-nearest file is llama.cpp's own, byte for byte: no note
    notes: gptq ? {
      quantization: `${what}: ${how}`,
      ...(allocation ? { bits_per_tensor: [...allocation.bits].map(([n, b]) => `${n}=${b}`).join(' ') } : {}),
    } : undefined,
    onTensor: (_name, done, total) => show('writing tensors', done, total),
  });
  writeFileSync(String(f.out), file.bytes);
  const seconds = (performance.now() - started) / 1000;
  const counts = new Map<string, number>();
  for (const t of file.tensors) counts.set(t.type, (counts.get(t.type) ?? 0) + 1);
  const summary = [...counts].map(([t, n]) => `${n} ${t}`).join(', ');
  if (json) {
    process.stdout.write(JSON.stringify({
      out: f.out, format: typeName(main).toLowerCase(), bits: bits ?? null, group, gptq, targetBpw: targetBpw ?? null,
      bitsPerTensor: allocation ? Object.fromEntries(allocation.bits) : null, llamaCppReadable: !pad, bytes: file.bytes.length, bitsPerParameter: file.bitsPerParameter,
      seconds, calibration: calibration ?? null, tensors: file.tensors,
    }) + '\n');
  } else {
    process.stderr.write(`wrote ${f.out}: ${typeName(main)} (${summary}), ${file.bitsPerParameter.toFixed(2)} bits/parameter, ${file.bytes.length} bytes, ${seconds.toFixed(1)} s; ${how}\n`);
  }
}
