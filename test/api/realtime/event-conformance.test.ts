// Every event the toolkit sends or translates validates against the spec's schemas for its dialect (ajv, the
// spec as copied in docs/spec), and the lightweight runtime checks agree with the schemas on the same events.
import { describe, expect, it } from 'vitest';
import { clientEventToBeta, serverEventToBeta } from '../../../src/api/realtime/dialect.js';
import { clientEventProblems, serverEventProblems } from '../../../src/api/realtime/event-checks.js';
import { REALTIME_CLIENT_EVENT_TYPES } from '../../../src/api/realtime/events.js';
import { realtimeEventErrors, specEventTypes } from './realtime-schema-validator.js';
import { SAMPLE_CLIENT_EVENTS, SAMPLE_SERVER_EVENTS } from './sample-events.js';

describe('realtime events against the spec schemas', () => {
  it('covers every GA client event type of the spec, and the types list matches it', () => {
    expect([...REALTIME_CLIENT_EVENT_TYPES].sort()).toEqual(specEventTypes('client', 'ga').filter((t) => t !== 'transcription_session.update').sort());
    expect(new Set(SAMPLE_CLIENT_EVENTS.map((e) => e.type))).toEqual(new Set(REALTIME_CLIENT_EVENT_TYPES));
  });

  for (const event of SAMPLE_CLIENT_EVENTS) {
    it(`client ${event.type} is valid GA, and valid beta after translation`, () => {
      expect(realtimeEventErrors(event as any, 'client', 'ga')).toEqual([]);
      expect(clientEventProblems(event, 'ga')).toEqual([]);
      const beta = clientEventToBeta(event);
      expect(realtimeEventErrors(beta as any, 'client', 'beta')).toEqual([]);
      expect(clientEventProblems(beta, 'beta')).toEqual([]);
    });
  }

  for (const event of SAMPLE_SERVER_EVENTS) {
    it(`server ${event.type} is valid GA, and valid beta after translation (or has no beta form)`, () => {
      expect(realtimeEventErrors(event as any, 'server', 'ga')).toEqual([]);
      expect(serverEventProblems(event, 'ga')).toEqual([]);
      const beta = serverEventToBeta(event);
      if (beta === null) {
        expect(['conversation.item.done', 'input_audio_buffer.timeout_triggered']).toContain(event.type);
        return;
      }
      expect(realtimeEventErrors(beta as any, 'server', 'beta')).toEqual([]);
      expect(serverEventProblems(beta, 'beta')).toEqual([]);
    });
  }

  it('the schema validator and the runtime checks both reject broken events', () => {
    const broken = [
      { type: 'conversation.item.truncate', item_id: 'x', content_index: 0 },
      { type: 'input_audio_buffer.append' },
      { type: 'session.update' },
      { type: 'conversation.item.delete' },
    ];
    for (const e of broken) {
      expect(realtimeEventErrors(e, 'client', 'ga').length).toBeGreaterThan(0);
      expect(clientEventProblems(e, 'ga').length).toBeGreaterThan(0);
    }
    const wrongFormat = { type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } };
    expect(realtimeEventErrors(wrongFormat, 'client', 'ga').length).toBeGreaterThan(0);
    expect(clientEventProblems(wrongFormat, 'ga').join()).toMatch(/24000/);
    const betaFormat = { type: 'session.update', session: { input_audio_format: 'pcm24' } };
    expect(clientEventProblems(betaFormat, 'beta').join()).toMatch(/pcm16, g711_ulaw or g711_alaw/);
    const serverBroken = { type: 'response.output_audio.delta', event_id: 'e', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0 };
    expect(realtimeEventErrors(serverBroken, 'server', 'ga').length).toBeGreaterThan(0);
    expect(serverEventProblems(serverBroken, 'ga')).toEqual(['delta is required']);
  });

  it('runtime checks name events of the other dialect', () => {
    expect(serverEventProblems({ type: 'response.audio.delta', event_id: 'e' }, 'ga')[0]).toMatch(/not a server event of the ga/);
    expect(serverEventProblems({ type: 'response.output_audio.delta', event_id: 'e' }, 'beta')[0]).toMatch(/GA event/);
    expect(clientEventProblems({ type: 'transcription_session.update', session: {} }, 'ga')[0]).toMatch(/not a client event of the ga/);
    expect(clientEventProblems({ type: 'session.update', session: { type: 'realtime', input_audio_format: 'pcm16' } }, 'ga').join()).toMatch(/beta field/);
  });
});
