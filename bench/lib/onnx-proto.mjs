// A tiny protobuf writer and the three single-node ONNX models the gemm bench runs in onnxruntime-web
// (MatMulInteger, com.microsoft MatMulNBits, MatMul). Field numbers from onnx/onnx.proto:
//   ModelProto: ir_version 1, graph 7, opset_import 8.   OperatorSetIdProto: domain 1, version 2.
//   GraphProto: node 1, name 2, initializer 5, input 11, output 12.
//   NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7.
//   AttributeProto: name 1, i 3, type 20 (INT = 2).
//   TensorProto: dims 1, data_type 2, name 8, raw_data 9 (FLOAT 1, UINT8 2, INT8 3, INT32 6).
//   ValueInfoProto: name 1, type 2.  TypeProto: tensor_type 1.  TypeProto.Tensor: elem_type 1, shape 2.
//   TensorShapeProto: dim 1.  Dimension: dim_value 1.

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6 };

function varint(n) {
  const out = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

/** A message: a list of byte chunks. */
class Msg {
  chunks = [];
  key(field, wire) {
    this.chunks.push(Uint8Array.from(varint((field << 3) | wire)));
  }
  int(field, n) {
    this.key(field, 0);
    this.chunks.push(Uint8Array.from(varint(n)));
    return this;
  }
  bytes(field, data) {
    this.key(field, 2);
    this.chunks.push(Uint8Array.from(varint(data.length)), data);
    return this;
  }
  str(field, s) {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field, m) {
    return this.bytes(field, m.finish());
  }
  finish() {
    const len = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function tensor(name, dataType, dims, raw) {
  const t = new Msg();
  for (const d of dims) t.int(1, d);
  t.int(2, dataType).str(8, name).bytes(9, new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  return t;
}

function valueInfo(name, elemType, dims) {
  const shape = new Msg();
  for (const d of dims) shape.msg(1, new Msg().int(1, d));
  const tt = new Msg().int(1, elemType).msg(2, shape);
  return new Msg().str(1, name).msg(2, new Msg().msg(1, tt));
}

function node(opType, inputs, outputs, { domain, attrs = {} } = {}) {
  const n = new Msg();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(3, opType.toLowerCase()).str(4, opType);
  for (const [name, value] of Object.entries(attrs)) n.msg(5, new Msg().str(1, name).int(3, value).int(20, 2));
  if (domain) n.str(7, domain);
  return n;
}

function model(graphNode, initializers, inputs, outputs, opsets) {
  const g = new Msg().msg(1, graphNode).str(2, 'bench');
  for (const t of initializers) g.msg(5, t);
  for (const i of inputs) g.msg(11, i);
  for (const o of outputs) g.msg(12, o);
  const m = new Msg().int(1, 8);
  m.msg(7, g);
  for (const [domain, version] of opsets) {
    const o = new Msg();
    if (domain) o.str(1, domain);
    m.msg(8, o.int(2, version));
  }
  return m.finish();
}

/** Y int32 [M, N] = MatMulInteger(A uint8 [M, K] with zero point aZero, B int8 [K, N]). */
export function matMulIntegerModel(M, N, K, bKN, aZero) {
  return model(
    node('MatMulInteger', ['A', 'B', 'a_zero'], ['Y']),
    [tensor('B', DT.INT8, [K, N], bKN), tensor('a_zero', DT.UINT8, [], Uint8Array.of(aZero))],
    [valueInfo('A', DT.UINT8, [M, K])],
    [valueInfo('Y', DT.INT32, [M, N])],
    [['', 17]],
  );
}

/**
 * Y float [M, N] = MatMulNBits(A float [M, K], B uint8 [N, K/blockSize, blockSize/2] 4-bit, scales
 * float [N * K/blockSize]), default zero point 8.
 */
export function matMulNBitsModel(M, N, K, blockSize, packedB, scales) {
  return model(
    node('MatMulNBits', ['A', 'B', 'scales'], ['Y'], { domain: 'com.microsoft', attrs: { K, N, bits: 4, block_size: blockSize } }),
    [tensor('B', DT.UINT8, [N, K / blockSize, blockSize / 2], packedB), tensor('scales', DT.FLOAT, [N * (K / blockSize)], scales)],
    [valueInfo('A', DT.FLOAT, [M, K])],
    [valueInfo('Y', DT.FLOAT, [M, N])],
    [['', 17], ['com.microsoft', 1]],
  );
}

/** Y float [M, N] = MatMul(A float [M, K], B float [K, N]). */
export function matMulFloatModel(M, N, K, bKN) {
  return model(
    node('MatMul', ['A', 'B'], ['Y']),
    [tensor('B', DT.FLOAT, [K, N], bKN)],
    [valueInfo('A', DT.FLOAT, [M, K])],
    [valueInfo('Y', DT.FLOAT, [M, N])],
    [['', 17]],
  );
}
