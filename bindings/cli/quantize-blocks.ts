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
import { loadModelFromPath, readBytes } from './node-files.js';
import { calibrate, progress } from './calibration.js';
import { parseGguf } from '../formats/gguf.js';
import { BLOCK_CODECS, codecByName } from '../offline/ggml-blocks.js';
import { gptqBlocks } from '../offline/gptq-blocks.js';
import { BLOCK_BITS, FILE_TYPE, type TensorType, fitType, typePolicy, typeForBits, typeName, writeLlamaCppGguf } from '../offline/llamacpp-gguf.js';
import { smoothLlama } from '../offline/smooth-model.js';
import type { RoundTrip } from '../quant/smooth.js';

/** What a tensor's type does to a matrix, for the smoothing search (plain floats pass through). */
export function roundTripOf(type: TensorType): RoundTrip {
  if (typeof type === 'string') return (w) => w;
  return (w, rows, cols) => gptqBlocks(type, w, rows, cols).dequantized;
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
  if (group !== 32) {
    throw new UsageError(`--group ${group}: only 32 is written so far (llama.cpp's block types group 32 or 16 elements; a group of 64 or 128 needs dyadic's own block format, not written yet)`);
  }
  if (f.targetBpw !== undefined) throw new UsageError('--target-bpw is not written yet');
  if (!format && bits === undefined) throw new UsageError('--format TYPE or --bits B is required');
  if (f.actBits !== undefined || f.sparsity !== undefined) throw new UsageError('--act-bits and --sparsity apply to dyadic\'s integer files (--bits without --format/--group)');

  const model = loadModelFromPath(String(f.model));
  if (model.format !== 'gguf') throw new UsageError(`${model.file}: llama.cpp files are written from a GGUF source (F32 or F16), not ${model.format}`);
  if (model.quantized) throw new UsageError(`${model.file} is a dyadic integer file; quantize its float source instead`);
  const source = parseGguf(readBytes(String(f.model)), String(f.model));
  const gptq = bits !== undefined || f.gptq === true;
  const pure = f.pure === true;
  const main: TensorType = format ?? typeForBits(bits!, model.config.dim);
  if (bits !== undefined && !format && typeName(main) === 'Q4_0' && bits < 4) {
    process.stderr.write(`note: rows of ${model.config.dim} are not whole 256-element super-blocks: ${bits}-bit K-quants do not fit, writing Q4_0\n`);
  }
  const typeOf = typePolicy({ format, bits, pure });
  const fitted = (name: string) => {
    const t = source.tensors.get(name)!;
    return fitType(typeOf(name, t.elements / t.dims[0], t.dims[0]), t.dims[0]);
  };

  let weights = model.weights;
  let hessians;
  let calibration: string | undefined;
  if (gptq) {
    const cal = calibrate(model, f, show);
    calibration = cal.calibration;
    const smoothed = smoothLlama(model.config, model.weights, cal.hessians, (name) => roundTripOf(fitted(`${name}.weight`)));
    show('smoothing', 1, 1);
    weights = smoothed.weights;
    hessians = smoothed.hessians;
  }
  const how = gptq
    ? `GPTQ in blocks, MSE-searched scales, smoothing; calibrated on ${calibration}`
    : 'round-to-nearest (llama.cpp reference)';
  const file = writeLlamaCppGguf(source, model.config, weights, {
    typeOf, gptq, hessians, fileType: FILE_TYPE[typeName(main)] ?? 0,
    // the round-to-nearest file is llama.cpp's own, byte for byte: no note
    notes: gptq ? { quantization: `${bits !== undefined ? `bits ${bits} group ${group}, ` : ''}${typeName(main)}${pure ? ' pure' : ''}: ${how}` } : undefined,
    onTensor: (_name, done, total) => show('writing tensors', done, total),
  });
  writeFileSync(String(f.out), file.bytes);
  const seconds = (performance.now() - started) / 1000;
  const types = new Map<string, number>();
  for (const t of file.tensors) types.set(t.type, (types.get(t.type) ?? 0) + 1);
  const summary = [...types].map(([t, n]) => `${n} ${t}`).join(', ');
  if (json) {
    process.stdout.write(JSON.stringify({
      out: f.out, format: typeName(main).toLowerCase(), bits: bits ?? null, group, gptq, bytes: file.bytes.length, bitsPerParameter: file.bitsPerParameter,
      seconds, calibration: calibration ?? null, tensors: file.tensors,
    }) + '\n');
  } else {
    process.stderr.write(`wrote ${f.out}: ${typeName(main)} (${summary}), ${file.bitsPerParameter.toFixed(2)} bits/parameter, ${file.bytes.length} bytes, ${seconds.toFixed(1)} s; ${how}\n`);
  }
}
