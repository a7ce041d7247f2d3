import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../../src/transports/sse-parser.js';

function parseInChunks(text: string, sizes: (i: number) => number): SseEvent[] {
  const events: SseEvent[] = [];
  const p = new SseParser((e) => events.push(e));
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes(i));
    p.push(bytes.subarray(at, at + n));
    at += n;
  }
  p.end();
  return events;
}

const STREAM =
  ': comment line\r\n' +
  'event: speech.audio.delta\r\n' +
  'data: {"type":"speech.audio.delta","audio":"AAEC"}\r\n\r\n' +
  'data: first line\n' +
  'data: second line ünïcødé 🎤\n\n' +
  'id: 7\r' +
  'data:no-space\r\r' +
  'data: {"type":"speech.audio.done"}\n\n' +
  'data: [DONE]';

const EXPECTED: SseEvent[] = [
  { event: 'speech.audio.delta', data: '{"type":"speech.audio.delta","audio":"AAEC"}', id: undefined },
  { event: 'message', data: 'first line\nsecond line ünïcødé 🎤', id: undefined },
  { event: 'message', data: 'no-space', id: '7' },
  { event: 'message', data: '{"type":"speech.audio.done"}', id: '7' },
  { event: 'message', data: '[DONE]', id: '7' },
];

describe('SseParser', () => {
  it('parses a whole body', () => {
    expect(parseInChunks(STREAM, () => 1 << 20)).toEqual(EXPECTED);
  });

  it('gives the same events for every chunking (1 byte, 2, 3, 5, 7, random), splitting CRLF and UTF-8 sequences', () => {
    for (const size of [1, 2, 3, 5, 7, 13]) expect(parseInChunks(STREAM, () => size)).toEqual(EXPECTED);
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
    for (let round = 0; round < 50; round++) expect(parseInChunks(STREAM, () => 1 + (rand() % 9))).toEqual(EXPECTED);
  });

  it('ignores an event with no data lines and keeps nothing of a dispatched event', () => {
    const events: SseEvent[] = [];
    const p = new SseParser((e) => events.push(e));
    p.push('event: ping\n\n');
    p.push('retry: 100\n\n');
    p.push('data: x\n\n');
    expect(events).toEqual([{ event: 'message', data: 'x', id: undefined }]);
  });

  it('does not hold the body: memory stays bounded across many events', () => {
    const p = new SseParser(() => {});
    const ev = `data: ${'A'.repeat(1000)}\n\n`;
    for (let i = 0; i < 5000; i++) p.push(ev);
    // Nothing to assert on internals beyond not throwing; a buffered parser would hold 5 MB of text here.
    p.end();
  });
});
