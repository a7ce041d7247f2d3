import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { WebmOpusDemuxer } from '../../src/streams/webm-opus-demuxer.js';
import { chunked, seededRandom } from '../codecs/test-audio.js';

// A tiny EBML writer, enough to build the WebM layouts real muxers produce.
function vintSize(n: number | 'unknown'): Buffer {
  if (n === 'unknown') return Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  for (let len = 1; len <= 8; len++) {
    if (n < 2 ** (7 * len) - 1) {
      const out = Buffer.alloc(len);
      let v = n;
      for (let i = len - 1; i >= 0; i--) {
        out[i] = v & 0xff;
        v = Math.floor(v / 256);
      }
      out[0]! |= 0x80 >> (len - 1);
      return out;
    }
  }
  throw new Error('too big');
}
function idBytes(id: number): Buffer {
  const bytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from(bytes);
}
function el(id: number, ...children: (Buffer | number[])[]): Buffer {
  const body = Buffer.concat(children.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c))));
  return Buffer.concat([idBytes(id), vintSize(body.length), body]);
}
function openEl(id: number): Buffer {
  return Buffer.concat([idBytes(id), vintSize('unknown')]);
}
function uint(id: number, value: number): Buffer {
  return el(id, [value]);
}

const opusHead = Buffer.concat([Buffer.from('OpusHead'), Buffer.from([1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0])]);
const header = Buffer.concat([
  el(0x1a45dfa3, el(0x4282, Buffer.from('webm'))),
  openEl(0x18538067), // Segment of unknown size (a live recording)
  el(0x1549a966, uint(0x2ad7b1, 1000000)), // Info: skipped
  el(0x1654ae6b, // Tracks
    el(0xae, uint(0xd7, 1), uint(0x83, 1), el(0x86, Buffer.from('V_VP8'))), // a video track first
    el(0xae, uint(0xd7, 2), uint(0x83, 2), el(0x86, Buffer.from('A_OPUS')), el(0x63a2, opusHead), el(0xe1, uint(0x9f, 2)))),
  openEl(0x1f43b675), // Cluster of unknown size
  uint(0xe7, 0), // Timecode
]);

/** A block of track 2 with the given lacing of `packets`. */
function block(id: number, packets: Buffer[], lacing: 'none' | 'xiph' | 'ebml' | 'fixed'): Buffer {
  const head = Buffer.from([0x82, 0x00, 0x00]); // track 2, timecode 0
  const flagsLacing = { none: 0, xiph: 1, fixed: 2, ebml: 3 }[lacing];
  const parts: Buffer[] = [head, Buffer.from([0x80 | (flagsLacing << 1)])];
  if (lacing !== 'none') {
    parts.push(Buffer.from([packets.length - 1]));
    if (lacing === 'xiph') {
      for (const p of packets.slice(0, -1)) {
        let n = p.length;
        while (n >= 255) {
          parts.push(Buffer.from([255]));
          n -= 255;
        }
        parts.push(Buffer.from([n]));
      }
    } else if (lacing === 'ebml') {
      parts.push(vintSize(packets[0]!.length));
      for (let i = 1; i < packets.length - 1; i++) {
        const diff = packets[i]!.length - packets[i - 1]!.length;
        parts.push(vintSize(diff + 63)); // one-byte signed vint: bias 2^6 - 1
      }
    }
  }
  parts.push(...packets);
  return el(id, Buffer.concat(parts));
}

function packet(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  b[0] = 0x78; // a plausible TOC byte
  return b;
}

async function demux(bytes: Buffer[]): Promise<{ packets: Buffer[]; demuxer: WebmOpusDemuxer }> {
  const demuxer = new WebmOpusDemuxer();
  const packets: Buffer[] = [];
  demuxer.on('data', (p: Buffer) => packets.push(p));
  const done = new Promise<void>((resolve, reject) => {
    demuxer.once('end', resolve);
    demuxer.once('error', reject);
  });
  Readable.from(bytes, { objectMode: false }).pipe(demuxer);
  await done;
  return { packets, demuxer };
}

describe('WebmOpusDemuxer', () => {
  const p = [packet(100, 1), packet(300, 2), packet(120, 3), packet(80, 4), packet(80, 5), packet(80, 6), packet(60, 7), packet(61, 8), packet(59, 9)];
  const file = Buffer.concat([
    header,
    block(0xa3, [p[0]!], 'none'),
    block(0xa3, [p[1]!, p[2]!], 'xiph'),
    el(0xa3, Buffer.from([0x81, 0, 0, 0x80]), Buffer.from([1, 2, 3])), // a block of the video track: ignored
    block(0xa3, [p[3]!, p[4]!, p[5]!], 'fixed'),
    block(0xa3, [p[6]!, p[7]!, p[8]!], 'ebml'),
    // The last packet in a BlockGroup with DiscardPadding, as ffmpeg writes it: 2.5 ms = 120 samples.
    el(0xa0, block(0xa1, [packet(90, 10)], 'none'), el(0x75a2, [0x26, 0x25, 0xa0])),
  ]);

  it('reads unknown-size segments and clusters, all lacings, BlockGroups and DiscardPadding', async () => {
    const { packets, demuxer } = await demux([file]);
    expect(packets.map((x) => x.length)).toEqual([...p.map((x) => x.length), 90]);
    for (let i = 0; i < p.length; i++) expect(packets[i]!.equals(p[i]!)).toBe(true);
    expect(demuxer.codecPrivate?.equals(opusHead)).toBe(true);
    expect(demuxer.endDiscardFrames).toBe(120);
    expect(demuxer.truncated).toBe(false);
  });

  it('gives the same packets for 1-byte and random chunks', async () => {
    const whole = (await demux([file])).packets;
    const bytewise = (await demux(chunked(file, 'bytewise'))).packets;
    const random = (await demux(chunked(file, seededRandom(11), 50))).packets;
    expect(bytewise).toEqual(whole);
    expect(random).toEqual(whole);
  });

  it('reports a cut inside an element as truncated, and non-WebM or Opus-less input as FormatError', async () => {
    const { demuxer } = await demux([file.subarray(0, file.length - 10)]);
    expect(demuxer.truncated).toBe(true);
    await expect(demux([Buffer.from('RIFF0000WAVEfmt ')])).rejects.toBeInstanceOf(FormatError);
    const videoOnly = Buffer.concat([
      el(0x1a45dfa3, el(0x4282, Buffer.from('webm'))),
      openEl(0x18538067),
      el(0x1654ae6b, el(0xae, uint(0xd7, 1), uint(0x83, 1), el(0x86, Buffer.from('V_VP8')))),
      openEl(0x1f43b675),
    ]);
    await expect(demux([videoOnly])).rejects.toThrow(/no Opus audio track/);
  });
});
