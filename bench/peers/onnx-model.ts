// A minimal ONNX ModelProto encoder for the benchmark peers: one Gemm node
// Y (m, n_out) = X (m, n_in) @ W (n_out, n_in)^T with transB = 1 and W stored as an
// initializer, i.e. the (n_out, n_in) layout model files use. Field numbers follow onnx.proto.
// Only what onnxruntime needs to load this one graph is written.

// protobuf wire format: varints, length-delimited fields (type 2), varint fields (type 0)
class Writer {
  private parts: number[] = [];
  private chunks: Uint8Array[] = [];
  varint(v: number): this {
    while (v >= 0x80) { this.parts.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
    this.parts.push(v);
    return this;
  }
  private flush(): void {
    if (this.parts.length) { this.chunks.push(Uint8Array.from(this.parts)); this.parts = []; }
  }
  int(field: number, v: number): this { return this.varint(field * 8).varint(v); }
  bytes(field: number, b: Uint8Array): this {
    this.varint(field * 8 + 2).varint(b.length);
    this.flush();
    this.chunks.push(b);
    return this;
  }
  str(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  msg(field: number, w: Writer): this { return this.bytes(field, w.finish()); }
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

const FLOAT = 1;      // TensorProto.DataType.FLOAT
const ATTR_INT = 2;   // AttributeProto.AttributeType.INT

// ValueInfoProto{name, type: TypeProto{tensor_type{elem_type, shape{dim[]}}}}
function valueInfo(name: string, dims: readonly number[]): Writer {
  const shape = new Writer();
  for (const d of dims) shape.msg(1, new Writer().int(1, d));
  const tensorType = new Writer().int(1, FLOAT).msg(2, shape);
  return new Writer().str(1, name).msg(2, new Writer().msg(1, tensorType));
}

// The serialized model: inputs "X" (m, n_in), output "Y" (m, n_out), initializer "W" (n_out, n_in).
export function gemmTransBModel(W: Float32Array, m: number, n_in: number, n_out: number): Uint8Array {
  if (W.length !== n_out * n_in) throw new RangeError(`onnx gemm: W has ${W.length} values, expected ${n_out}x${n_in}`);
  const node = new Writer()
    .str(1, "X").str(1, "W").str(2, "Y").str(3, "gemm").str(4, "Gemm")
    .msg(5, new Writer().str(1, "transB").int(3, 1).int(20, ATTR_INT));
  const init = new Writer().int(1, n_out).int(1, n_in).int(2, FLOAT).str(8, "W")
    .bytes(9, new Uint8Array(W.buffer, W.byteOffset, W.byteLength));
  const graph = new Writer()
    .msg(1, node).str(2, "gemm").msg(5, init)
    .msg(11, valueInfo("X", [m, n_in])).msg(12, valueInfo("Y", [m, n_out]));
  return new Writer()
    .int(1, 8)                                   // ir_version
    .str(2, "budgetkv-bench")                    // producer_name
    .msg(7, graph)
    .msg(8, new Writer().str(1, "").int(2, 13))  // opset_import: default domain, opset 13
    .finish();
}
