import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { MultipartParser, multipartBoundary } from '../../src/emulator/multipart-parser.js';

const BOUNDARY = '----tla-boundary-7MA4YWxkTrZu0gW';

function body(parts: { name: string; filename?: string; type?: string; data: Buffer | string }[], preamble = ''): Buffer {
  const chunks: Buffer[] = [Buffer.from(preamble)];
  for (const p of parts) {
    let head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename.replace(/"/g, '\\"')}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

async function parse(raw: Buffer, chunkSizes: (i: number) => number, slowReader = false) {
  const fields: Record<string, string> = {};
  const files: { name: string; filename: string | undefined; type: string | undefined; data: Buffer }[] = [];
  const reads: Promise<void>[] = [];
  const parser = new MultipartParser(BOUNDARY, {
    onField: (name, value) => {
      fields[name] = value;
    },
    onFile: (info, data) => {
      const got: Buffer[] = [];
      reads.push(
        (async () => {
          for await (const chunk of data) {
            got.push(chunk as Buffer);
            if (slowReader) await new Promise((r) => setImmediate(r));
          }
          files.push({ name: info.name, filename: info.filename, type: info.contentType, data: Buffer.concat(got) });
        })(),
      );
    },
  });
  const pieces: Buffer[] = [];
  for (let pos = 0, i = 0; pos < raw.length; i++) {
    const n = Math.max(1, chunkSizes(i));
    pieces.push(raw.subarray(pos, pos + n));
    pos += n;
  }
  await pipeline(Readable.from(pieces), parser);
  await Promise.all(reads);
  return { fields, files, complete: parser.complete };
}

function pseudoRandom(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x7fffffff;
  };
}

describe('MultipartParser', () => {
  // Binary data that contains CRLFs, dashes and a near-miss of the delimiter.
  const audio = Buffer.concat([
    Buffer.from('RIFF'),
    Buffer.alloc(3000, 0x2d),
    Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}X\r\n--`),
    Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) & 0xff)),
  ]);
  const raw = body(
    [
      { name: 'model', data: 'whisper-1' },
      { name: 'file', filename: 'talk "1".wav', type: 'audio/wav', data: audio },
      { name: 'timestamp_granularities[]', data: 'word' },
      { name: 'prompt', data: 'héllo\r\nworld' },
    ],
    'preamble to ignore\r\n',
  );

  it('extracts fields and file bytes exactly in one chunk', async () => {
    const r = await parse(raw, () => raw.length);
    expect(r.complete).toBe(true);
    expect(r.fields).toEqual({ model: 'whisper-1', 'timestamp_granularities[]': 'word', prompt: 'héllo\r\nworld' });
    expect(r.files).toHaveLength(1);
    expect(r.files[0]!.filename).toBe('talk "1".wav');
    expect(r.files[0]!.type).toBe('audio/wav');
    expect(r.files[0]!.data.equals(audio)).toBe(true);
  });

  it('gives the same result for every chunking, including 1-byte writes and a slow reader', async () => {
    const one = await parse(raw, () => 1);
    expect(one.files[0]!.data.equals(audio)).toBe(true);
    expect(one.fields['prompt']).toBe('héllo\r\nworld');
    for (const seed of [1, 2, 3]) {
      const rnd = pseudoRandom(seed);
      const r = await parse(raw, () => 1 + Math.floor(rnd() * 200), seed === 3);
      expect(r.files[0]!.data.equals(audio)).toBe(true);
      expect(r.fields['model']).toBe('whisper-1');
    }
  });

  it('finds delimiters split at every position, with near-misses in the data', async () => {
    const tricky = Buffer.concat([
      Buffer.from(`\r\n--${BOUNDARY.slice(0, 10)}`),
      Buffer.from('\r\r\n\r\n-\r\n--\r'),
      Buffer.from(`\r\n--${BOUNDARY}X`.slice(0, -2)),
      Buffer.from('tail\r'),
    ]);
    const doc = body([
      { name: 'file', filename: 'a.bin', type: 'application/octet-stream', data: tricky },
      { name: 'second', filename: 'b.bin', type: 'application/octet-stream', data: Buffer.from('\r\n-') },
      { name: 'model', data: 'm' },
    ]);
    for (let size = 1; size <= BOUNDARY.length + 8; size++) {
      const r = await parse(doc, () => size);
      expect(r.files[0]!.data.equals(tricky), `chunk size ${size}`).toBe(true);
      expect(r.files[1]!.data.toString('latin1'), `chunk size ${size}`).toBe('\r\n-');
      expect(r.fields['model']).toBe('m');
    }
    for (let seed = 10; seed < 40; seed++) {
      const rnd = pseudoRandom(seed);
      const r = await parse(doc, () => 1 + Math.floor(rnd() * (BOUNDARY.length + 10)));
      expect(r.files[0]!.data.equals(tricky), `seed ${seed}`).toBe(true);
    }
  });

  it('fails on a body without the closing boundary', async () => {
    const cut = raw.subarray(0, raw.length - 30);
    await expect(parse(cut, () => 1000)).rejects.toThrow(/closing boundary/);
  });

  it('reads the boundary from the content type', () => {
    expect(multipartBoundary(`multipart/form-data; boundary=${BOUNDARY}`)).toBe(BOUNDARY);
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(multipartBoundary('application/json')).toBeUndefined();
    expect(multipartBoundary('multipart/form-data')).toBeUndefined();
  });
});
