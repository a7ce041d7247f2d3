import { describe, expect, it } from 'vitest';
import { AudioDeltaScanner } from '../../../src/api/realtime/audio-delta-scanner.js';

const delta = Buffer.from(Array.from({ length: 96 }, (_, i) => i)).toString('base64');

describe('AudioDeltaScanner', () => {
  it('reads a GA delta in any key order, with whitespace, and reuses id strings while they repeat', () => {
    const s = new AudioDeltaScanner();
    const a = Buffer.from(JSON.stringify({ type: 'response.output_audio.delta', event_id: 'e1', response_id: 'resp_1', item_id: 'item_1', output_index: 0, content_index: 2, delta }));
    expect(s.scan(a, 'ga')).toBe(true);
    expect(s).toMatchObject({ responseId: 'resp_1', itemId: 'item_1', outputIndex: 0, contentIndex: 2 });
    expect(a.toString('latin1', s.deltaStart, s.deltaEnd)).toBe(delta);
    const first = s.responseId;
    const b = Buffer.from(`{ "delta" : "${delta}", "item_id":"item_1","content_index":2,"output_index":1,"response_id":"resp_1","type":"response.output_audio.delta","event_id":"e2" }`);
    expect(s.scan(b, 'ga')).toBe(true);
    expect(s.responseId).toBe(first);
    expect(s.outputIndex).toBe(1);
    expect(b.toString('latin1', s.deltaStart, s.deltaEnd)).toBe(delta);
    const c = Buffer.from(JSON.stringify({ type: 'response.output_audio.delta', response_id: 'resp_2', item_id: 'itém_2', output_index: 0, content_index: 0, delta }));
    expect(s.scan(c, 'ga')).toBe(true);
    expect(s.responseId).toBe('resp_2');
    expect(s.itemId).toBe('itém_2');
  });

  it('reads the beta name only on a beta socket', () => {
    const s = new AudioDeltaScanner();
    const m = Buffer.from(JSON.stringify({ type: 'response.audio.delta', event_id: 'e', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, delta }));
    expect(s.scan(m, 'beta')).toBe(true);
    expect(s.scan(m, 'ga')).toBe(false);
  });

  it('leaves everything but the plain shape to JSON.parse', () => {
    const s = new AudioDeltaScanner();
    const base = { type: 'response.output_audio.delta', event_id: 'e', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, delta };
    const refused = [
      { ...base, type: 'response.output_audio_transcript.delta' },
      { ...base, item_id: 'a"b' }, // an escape
      { ...base, extra: 1 }, // an unknown field
      { ...base, output_index: -1 },
      { ...base, output_index: 1.5 },
      { ...base, content_index: '0' },
      { ...base, delta: null },
      { type: base.type, response_id: 'r', item_id: 'i', output_index: 0, content_index: 0 }, // no delta
    ];
    for (const e of refused) expect(s.scan(Buffer.from(JSON.stringify(e)), 'ga')).toBe(false);
    expect(s.scan(Buffer.from(JSON.stringify(base).slice(0, -1)), 'ga')).toBe(false);
    expect(s.scan(Buffer.from(`${JSON.stringify(base)}x`), 'ga')).toBe(false);
    expect(s.scan(Buffer.from('[1]'), 'ga')).toBe(false);
  });
});
