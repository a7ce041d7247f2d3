// Extracts the weights of a Silero VAD v5/v6 ONNX file into assets/silero/ (a float32 blob plus a JSON index),
// after checking that the graph has exactly the shape our TypeScript/WebAssembly forward pass implements.
//
//   npx tsx scripts/extract-silero-weights.ts [v5|v6 ...]      (default: v5 and v6 from @ricky0123/vad-web)
//   npx tsx scripts/extract-silero-weights.ts --onnx path/to/model.onnx --version v5
//
// The ONNX protobuf is read with a tiny wire-format reader of our own (only the fields we need).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------- protobuf wire
interface Field {
  no: number;
  wireType: number;
  varint: bigint;
  start: number;
  end: number;
}

function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  let pos = start;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error('truncated varint');
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) return result;
    }
  };
  while (pos < end) {
    const tag = Number(varint());
    const no = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 0) {
      yield { no, wireType, varint: varint(), start: 0, end: 0 };
    } else if (wireType === 2) {
      const len = Number(varint());
      yield { no, wireType, varint: 0n, start: pos, end: pos + len };
      pos += len;
    } else if (wireType === 5 || wireType === 1) {
      const len = wireType === 5 ? 4 : 8;
      yield { no, wireType, varint: 0n, start: pos, end: pos + len };
      pos += len;
    } else {
      throw new Error(`unsupported protobuf wire type ${wireType}`);
    }
  }
  if (pos !== end) throw new Error('protobuf message overruns its bounds');
}

function packedVarints(buf: Uint8Array, f: Field): bigint[] {
  if (f.wireType === 0) return [BigInt.asIntN(64, f.varint)];
  const out: bigint[] = [];
  let pos = f.start;
  while (pos < f.end) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80) break;
    }
    out.push(BigInt.asIntN(64, result));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- ONNX subset
const utf8 = new TextDecoder();

interface Tensor {
  name: string;
  dataType: number; // 1 = FLOAT, 7 = INT64
  dims: number[];
  floats?: Float32Array;
  ints?: bigint[];
}

interface Attribute {
  name: string;
  i?: bigint;
  f?: number;
  s?: string;
  ints?: bigint[];
  t?: Tensor;
  g?: Graph;
}

interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, Attribute>;
}

interface Graph {
  nodes: OnnxNode[];
}

function parseTensor(buf: Uint8Array, start: number, end: number): Tensor {
  const t: Tensor = { name: '', dataType: 0, dims: [] };
  let raw: Uint8Array | undefined;
  const floatData: number[] = [];
  const int64Data: bigint[] = [];
  for (const f of fields(buf, start, end)) {
    if (f.no === 1) t.dims.push(...packedVarints(buf, f).map(Number));
    else if (f.no === 2) t.dataType = Number(f.varint);
    else if (f.no === 8) t.name = utf8.decode(buf.subarray(f.start, f.end));
    else if (f.no === 9) raw = buf.subarray(f.start, f.end);
    else if (f.no === 4) {
      const dv = new DataView(buf.buffer, buf.byteOffset + f.start, f.end - f.start);
      for (let i = 0; i < dv.byteLength; i += 4) floatData.push(dv.getFloat32(i, true));
    } else if (f.no === 7) int64Data.push(...packedVarints(buf, f));
    else if (f.no === 13 || f.no === 14) throw new Error(`tensor ${t.name}: external data is not supported`);
  }
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.dataType === 1) {
    if (raw) {
      if (raw.byteLength !== count * 4) throw new Error(`tensor ${t.name}: ${raw.byteLength} bytes for ${count} floats`);
      const copy = new Uint8Array(raw); // aligned copy
      t.floats = new Float32Array(copy.buffer, 0, count);
    } else {
      t.floats = Float32Array.from(floatData);
    }
  } else if (t.dataType === 7) {
    if (raw) {
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      t.ints = [];
      for (let i = 0; i < raw.byteLength; i += 8) t.ints.push(dv.getBigInt64(i, true));
    } else {
      t.ints = int64Data;
    }
  }
  return t;
}

function parseAttribute(buf: Uint8Array, start: number, end: number): Attribute {
  const a: Attribute = { name: '' };
  for (const f of fields(buf, start, end)) {
    if (f.no === 1) a.name = utf8.decode(buf.subarray(f.start, f.end));
    else if (f.no === 2) a.f = new DataView(buf.buffer, buf.byteOffset + f.start, 4).getFloat32(0, true);
    else if (f.no === 3) a.i = BigInt.asIntN(64, f.varint);
    else if (f.no === 4) a.s = utf8.decode(buf.subarray(f.start, f.end));
    else if (f.no === 5) a.t = parseTensor(buf, f.start, f.end);
    else if (f.no === 6) a.g = parseGraph(buf, f.start, f.end);
    else if (f.no === 8) (a.ints ??= []).push(...packedVarints(buf, f));
  }
  return a;
}

function parseNode(buf: Uint8Array, start: number, end: number): OnnxNode {
  const n: OnnxNode = { opType: '', inputs: [], outputs: [], attributes: new Map() };
  for (const f of fields(buf, start, end)) {
    const text = () => utf8.decode(buf.subarray(f.start, f.end));
    if (f.no === 1) n.inputs.push(text());
    else if (f.no === 2) n.outputs.push(text());
    else if (f.no === 4) n.opType = text();
    else if (f.no === 5) {
      const a = parseAttribute(buf, f.start, f.end);
      n.attributes.set(a.name, a);
    }
  }
  return n;
}

function parseGraph(buf: Uint8Array, start: number, end: number): Graph {
  const g: Graph = { nodes: [] };
  for (const f of fields(buf, start, end)) {
    if (f.no === 1) g.nodes.push(parseNode(buf, f.start, f.end));
    else if (f.no === 5) {
      // Graph initializers: treat them like Constant nodes.
      const t = parseTensor(buf, f.start, f.end);
      g.nodes.push({ opType: 'Constant', inputs: [], outputs: [t.name], attributes: new Map([['value', { name: 'value', t }]]) });
    }
  }
  return g;
}

export function parseModel(buf: Uint8Array): Graph {
  for (const f of fields(buf, 0, buf.length)) if (f.no === 7) return parseGraph(buf, f.start, f.end);
  throw new Error('no graph in ONNX model');
}

function walk(g: Graph, visit: (n: OnnxNode) => void): void {
  for (const n of g.nodes) {
    visit(n);
    for (const a of n.attributes.values()) if (a.g) walk(a.g, visit);
  }
}

// ---------------------------------------------------------------------------------------------- Silero checks
interface Branch {
  sampleRate: 8000 | 16000;
  weights: Map<string, Tensor>;
  nodes: OnnxNode[];
}

const WEIGHT_NAMES = [
  'stft.forward_basis_buffer',
  'encoder.0.reparam_conv.weight',
  'encoder.0.reparam_conv.bias',
  'encoder.1.reparam_conv.weight',
  'encoder.1.reparam_conv.bias',
  'encoder.2.reparam_conv.weight',
  'encoder.2.reparam_conv.bias',
  'encoder.3.reparam_conv.weight',
  'encoder.3.reparam_conv.bias',
  'decoder.rnn.weight_ih',
  'decoder.rnn.weight_hh',
  'decoder.rnn.bias_ih',
  'decoder.rnn.bias_hh',
  'decoder.decoder.2.weight',
  'decoder.decoder.2.bias',
] as const;

function fail(msg: string): never {
  throw new Error(`unexpected Silero graph: ${msg}`);
}

export function branches(graph: Graph): Branch[] {
  const top = graph.nodes.find((n) => n.opType === 'If') ?? fail('no top-level If on sr');
  const eq = graph.nodes.find((n) => n.opType === 'Equal' && n.outputs[0] === top.inputs[0]) ?? fail('If is not on Equal(sr, c)');
  const constName = eq.inputs.find((i) => i !== 'sr') ?? fail('Equal has no constant');
  const c = graph.nodes.find((n) => n.opType === 'Constant' && n.outputs[0] === constName)?.attributes.get('value')?.t;
  const rate = Number(c?.ints?.[0]);
  if (rate !== 16000) fail(`top If compares sr with ${rate}, expected 16000`);
  const out: Branch[] = [];
  for (const [attr, sampleRate] of [['then_branch', 16000], ['else_branch', 8000]] as const) {
    const g = top.attributes.get(attr)?.g ?? fail(`no ${attr}`);
    const weights = new Map<string, Tensor>();
    const nodes: OnnxNode[] = [];
    walk(g, (n) => {
      nodes.push(n);
      const t = n.opType === 'Constant' ? n.attributes.get('value')?.t : undefined;
      if (t && t.dataType === 1 && (WEIGHT_NAMES as readonly string[]).includes(t.name)) weights.set(t.name, t);
    });
    out.push({ sampleRate, weights, nodes });
  }
  return out;
}

function expectShape(t: Tensor | undefined, name: string, dims: number[]): Tensor {
  if (!t) fail(`missing weight ${name}`);
  if (t.dims.join(',') !== dims.join(',')) fail(`${name} has shape [${t.dims}], expected [${dims}]`);
  return t;
}

/** Checks ops and attributes the forward pass relies on; returns the STFT window (the basis must be a windowed DFT). */
function checkBranch(b: Branch): Float32Array {
  const n = b.sampleRate === 16000 ? 256 : 128; // filter length
  const bins = n / 2 + 1;
  const hop = n / 2;
  const padRight = n / 4;
  const w = b.weights;
  const basis = expectShape(w.get('stft.forward_basis_buffer'), 'stft basis', [2 * bins, 1, n]);
  expectShape(w.get('encoder.0.reparam_conv.weight'), 'encoder.0.weight', [128, bins, 3]);
  expectShape(w.get('encoder.0.reparam_conv.bias'), 'encoder.0.bias', [128]);
  expectShape(w.get('encoder.1.reparam_conv.weight'), 'encoder.1.weight', [64, 128, 3]);
  expectShape(w.get('encoder.1.reparam_conv.bias'), 'encoder.1.bias', [64]);
  expectShape(w.get('encoder.2.reparam_conv.weight'), 'encoder.2.weight', [64, 64, 3]);
  expectShape(w.get('encoder.2.reparam_conv.bias'), 'encoder.2.bias', [64]);
  expectShape(w.get('encoder.3.reparam_conv.weight'), 'encoder.3.weight', [128, 64, 3]);
  expectShape(w.get('encoder.3.reparam_conv.bias'), 'encoder.3.bias', [128]);
  expectShape(w.get('decoder.rnn.weight_ih'), 'rnn.weight_ih', [512, 128]);
  expectShape(w.get('decoder.rnn.weight_hh'), 'rnn.weight_hh', [512, 128]);
  expectShape(w.get('decoder.rnn.bias_ih'), 'rnn.bias_ih', [512]);
  expectShape(w.get('decoder.rnn.bias_hh'), 'rnn.bias_hh', [512]);
  expectShape(w.get('decoder.decoder.2.weight'), 'decoder.2.weight', [1, 128, 1]);
  expectShape(w.get('decoder.decoder.2.bias'), 'decoder.2.bias', [1]);

  // Ops in order: reflect Pad, STFT Conv (kernel n, stride hop), 4 encoder Convs (k3, pad 1, strides 1,2,2,1) + Relu,
  // one LSTM (hidden 128), Relu, 1x1 Conv, Sigmoid.
  const ops = b.nodes.map((x) => x.opType);
  const convs = b.nodes.filter((x) => x.opType === 'Conv');
  if (convs.length !== 6) fail(`${convs.length} Conv nodes, expected 6`);
  const attrInts = (x: OnnxNode, a: string) => (x.attributes.get(a)?.ints ?? []).map(Number).join(',');
  const expected = [
    [String(n), String(hop), '0,0'],
    ['3', '1', '1,1'],
    ['3', '2', '1,1'],
    ['3', '2', '1,1'],
    ['3', '1', '1,1'],
    ['1', '1', '0,0'],
  ];
  convs.forEach((cv, i) => {
    const got = [attrInts(cv, 'kernel_shape'), attrInts(cv, 'strides'), attrInts(cv, 'pads')];
    if (got.join('|') !== expected[i]!.join('|')) fail(`Conv ${i} kernel/strides/pads ${got.join('|')}, expected ${expected[i]!.join('|')}`);
    if (attrInts(cv, 'dilations') !== '1' || Number(cv.attributes.get('group')?.i ?? 1n) !== 1) fail(`Conv ${i} dilation/group`);
  });
  const pad = b.nodes.find((x) => x.opType === 'Pad') ?? fail('no Pad');
  if (pad.attributes.get('mode')?.s !== 'reflect') fail('Pad is not reflect');
  if (pad.inputs[0] !== 'input') fail('Pad does not read the model input directly (an internal context was added?)');
  // The pad amounts are built from a constant [0, padRight] (torch F.pad order: left, right).
  const padConst = b.nodes.some((x) => x.opType === 'Constant' && x.attributes.get('value')?.t?.ints?.map(Number).join(',') === `0,${padRight}`);
  if (!padConst) fail(`no reflect pad constant [0, ${padRight}]`);
  const lstms = b.nodes.filter((x) => x.opType === 'LSTM');
  for (const l of lstms) {
    if (Number(l.attributes.get('hidden_size')?.i) !== 128) fail('LSTM hidden size');
    if (l.attributes.has('direction') && l.attributes.get('direction')?.s !== 'forward') fail('LSTM direction');
    if (l.attributes.has('activations') || l.attributes.has('clip')) fail('LSTM with custom activations/clip');
  }
  if (lstms.length < 1) fail('no LSTM');
  for (const op of ['Relu', 'Sigmoid', 'Sqrt', 'ReduceMean']) if (!ops.includes(op)) fail(`no ${op}`);
  for (const op of ops) {
    const known = ['Constant', 'ConstantOfShape', 'Concat', 'Reshape', 'Slice', 'Transpose', 'Cast', 'Pad', 'Unsqueeze', 'Squeeze',
      'Conv', 'Pow', 'Add', 'Sqrt', 'Relu', 'Shape', 'Gather', 'Equal', 'If', 'Size', 'Not', 'LSTM', 'Identity', 'Sigmoid', 'ReduceMean'];
    if (!known.includes(op)) fail(`unexpected op ${op}`);
  }

  // The basis must be a windowed DFT: rows k < bins are w[t]·cos(2πkt/n), rows bins+k are -w[t]·sin(2πkt/n)
  // (sign checked both ways: the magnitude does not care). Then we can run an FFT instead of the 2·bins×n conv.
  const B = basis.floats!;
  const window = B.slice(0, n); // row 0: cos(0) = 1
  let maxErr = 0;
  // Row bins+1 at t = n/4 is ±w[n/4]·sin(π/2): its sign tells which convention the model uses.
  const sinSign = Math.sign(B[(bins + 1) * n + n / 4]!);
  for (let k = 0; k < bins; k++) {
    for (let t = 0; t < n; t++) {
      const ang = (2 * Math.PI * ((k * t) % n)) / n;
      maxErr = Math.max(maxErr, Math.abs(B[k * n + t]! - window[t]! * Math.cos(ang)));
      const s = B[(bins + k) * n + t]!;
      const ref = window[t]! * Math.sin(ang);
      maxErr = Math.max(maxErr, Math.abs(s - sinSign * ref));
    }
  }
  if (maxErr > 1e-6) fail(`STFT basis is not a windowed DFT (max error ${maxErr})`);
  return window;
}

// ---------------------------------------------------------------------------------------------- output
interface IndexEntry {
  offset: number; // in float32 elements
  shape: number[];
}

export function extract(onnxPath: string, version: string, outDir: string): { bin: string; json: string; bytes: number } {
  const buf = new Uint8Array(readFileSync(onnxPath));
  const graph = parseModel(buf);
  const chunks: Float32Array[] = [];
  const byHash = new Map<string, number>();
  let offset = 0;
  const add = (data: Float32Array, shape: number[]): IndexEntry => {
    const hash = createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
    const known = byHash.get(hash);
    if (known !== undefined) return { offset: known, shape };
    const at = offset;
    chunks.push(data);
    offset += data.length;
    byHash.set(hash, at);
    return { offset: at, shape };
  };
  const rates: Record<string, unknown> = {};
  for (const b of branches(graph)) {
    const window = checkBranch(b);
    const n = b.sampleRate === 16000 ? 256 : 128;
    const tensors: Record<string, IndexEntry> = { 'stft.window': add(window, [n]) };
    for (const name of WEIGHT_NAMES) {
      if (name === 'stft.forward_basis_buffer') continue;
      const t = b.weights.get(name)!;
      tensors[name] = add(t.floats!, t.dims);
    }
    rates[String(b.sampleRate)] = {
      filterLength: n,
      hopLength: n / 2,
      padRight: n / 4,
      contextSamples: n / 4,
      windowSamples: n * 2,
      tensors,
    };
  }
  const all = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  mkdirSync(outDir, { recursive: true });
  const bytes = Buffer.alloc(all.length * 4);
  for (let i = 0; i < all.length; i++) bytes.writeFloatLE(all[i]!, i * 4);
  const base = `silero-vad-${version}`;
  const bin = path.join(outDir, `${base}.bin`);
  const json = path.join(outDir, `${base}.json`);
  writeFileSync(bin, bytes);
  const index = {
    format: 'tokenlab-silero-weights/1',
    version,
    source: path.basename(onnxPath),
    sourceSha256: createHash('sha256').update(buf).digest('hex'),
    binSha256: createHash('sha256').update(bytes).digest('hex'),
    dtype: 'float32le',
    floats: all.length,
    rates,
  };
  writeFileSync(json, `${JSON.stringify(index, null, 1)}\n`);
  return { bin, json, bytes: bytes.length };
}

function main(): void {
  const args = process.argv.slice(2);
  const outDir = path.join(root, 'assets', 'silero');
  const onnxAt = args.indexOf('--onnx');
  if (onnxAt >= 0) {
    const file = args[onnxAt + 1] ?? fail('--onnx needs a path');
    const vAt = args.indexOf('--version');
    const version = vAt >= 0 ? (args[vAt + 1] ?? 'v5') : 'v5';
    const r = extract(file, version, outDir);
    console.log(`${r.bin} (${r.bytes} bytes), ${r.json}`);
    return;
  }
  const versions = args.length > 0 ? args : ['v5', 'v6'];
  for (const v of versions) {
    const file = path.join(root, 'node_modules', '@ricky0123', 'vad-web', 'dist', `silero_vad_${v}.onnx`);
    const r = extract(file, v, outDir);
    console.log(`${r.bin} (${r.bytes} bytes), ${r.json}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
