import { describe, expect, it } from 'vitest';
import {
  audioFormatFromBeta,
  audioFormatToBeta,
  clientEventFromBeta,
  clientEventToBeta,
  serverEventFromBeta,
  serverEventToBeta,
  sessionFromBeta,
  sessionToBeta,
} from '../../../src/api/realtime/dialect.js';
import { FormatError } from '../../../src/core/errors.js';
import { SAMPLE_CLIENT_EVENTS, SAMPLE_SERVER_EVENTS } from './sample-events.js';

describe('realtime dialect translation', () => {
  it('maps the three audio formats both ways and refuses PCM at another rate', () => {
    expect(audioFormatToBeta({ type: 'audio/pcm', rate: 24000 })).toBe('pcm16');
    expect(audioFormatToBeta({ type: 'audio/pcm' })).toBe('pcm16');
    expect(audioFormatToBeta({ type: 'audio/pcmu' })).toBe('g711_ulaw');
    expect(audioFormatToBeta({ type: 'audio/pcma' })).toBe('g711_alaw');
    expect(audioFormatFromBeta('pcm16')).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(audioFormatFromBeta('g711_ulaw')).toEqual({ type: 'audio/pcmu' });
    expect(audioFormatFromBeta('g711_alaw')).toEqual({ type: 'audio/pcma' });
    expect(() => audioFormatToBeta({ type: 'audio/pcm', rate: 16000 as 24000 })).toThrow(FormatError);
    expect(() => audioFormatToBeta({ type: 'audio/pcm', rate: 16000 as 24000 })).toThrow(/24000 Hz \(got rate 16000\)/);
    expect(() => audioFormatFromBeta('pcm24')).toThrow(/'pcm16', 'g711_ulaw' or 'g711_alaw'/);
  });

  it('flattens a GA session into the beta fields and nests it back', () => {
    const ga = (SAMPLE_CLIENT_EVENTS[0] as any).session;
    const beta = sessionToBeta(ga);
    expect(beta).toMatchObject({
      modalities: ['text', 'audio'],
      instructions: 'Be brief.',
      input_audio_format: 'pcm16',
      output_audio_format: 'g711_ulaw',
      voice: 'alloy',
      speed: 1,
      input_audio_transcription: { model: 'whisper-1', language: 'en' },
      input_audio_noise_reduction: { type: 'near_field' },
      turn_detection: { type: 'server_vad', silence_duration_ms: 500 },
      max_response_output_tokens: 'inf',
    });
    expect(beta).not.toHaveProperty('audio');
    expect(beta).not.toHaveProperty('type');
    expect(sessionFromBeta(beta)).toEqual(ga);
    // turn_detection null (client-driven turns) survives both ways
    expect(sessionToBeta({ type: 'realtime', audio: { input: { turn_detection: null } } })).toEqual({ turn_detection: null });
    expect(sessionFromBeta({ turn_detection: null, temperature: 0.7 })).toEqual({ type: 'realtime', audio: { input: { turn_detection: null } } });
  });

  it('round-trips every sample client event GA → beta → GA', () => {
    for (const event of SAMPLE_CLIENT_EVENTS) expect(clientEventFromBeta(clientEventToBeta(event))).toEqual(event);
  });

  it('round-trips every sample server event GA → beta → GA, except the GA-only ones', () => {
    for (const event of SAMPLE_SERVER_EVENTS) {
      const beta = serverEventToBeta(event);
      if (beta === null) continue;
      const back = serverEventFromBeta(beta);
      expect(back).toEqual(event.type === 'conversation.item.created' ? { ...event, type: 'conversation.item.added' } : event);
    }
  });

  it('renames the server events that differ, and keeps the ones that do not (same object)', () => {
    const delta = SAMPLE_SERVER_EVENTS.find((e) => e.type === 'response.output_audio.delta')!;
    expect(serverEventToBeta(delta)!.type).toBe('response.audio.delta');
    expect(serverEventFromBeta({ ...delta, type: 'response.audio.delta' }).type).toBe('response.output_audio.delta');
    expect(serverEventFromBeta({ type: 'response.audio_transcript.done', event_id: 'x' }).type).toBe('response.output_audio_transcript.done');
    expect(serverEventFromBeta({ type: 'response.text.delta', event_id: 'x' }).type).toBe('response.output_text.delta');
    expect(serverEventFromBeta({ type: 'conversation.item.created', event_id: 'x', item: { type: 'message', role: 'assistant', content: [{ type: 'audio', transcript: 'x' }] } })).toEqual({
      type: 'conversation.item.added',
      event_id: 'x',
      item: { type: 'message', role: 'assistant', content: [{ type: 'output_audio', transcript: 'x' }] },
    });
    const speech = SAMPLE_SERVER_EVENTS.find((e) => e.type === 'input_audio_buffer.speech_started')!;
    expect(serverEventToBeta(speech)).toBe(speech);
    expect(serverEventFromBeta(speech as any)).toBe(speech);
    const append = SAMPLE_CLIENT_EVENTS.find((e) => e.type === 'input_audio_buffer.append')!;
    expect(clientEventToBeta(append)).toBe(append);
  });

  it('translates a beta response: modalities, voice and format into GA places, temperature dropped', () => {
    const ga = serverEventFromBeta({
      type: 'response.done',
      event_id: 'e',
      response: { id: 'r', modalities: ['text', 'audio'], voice: 'alloy', output_audio_format: 'g711_alaw', temperature: 0.8, output: [] },
    });
    expect(ga).toEqual({ type: 'response.done', event_id: 'e', response: { id: 'r', output_modalities: ['audio'], audio: { output: { format: { type: 'audio/pcma' }, voice: 'alloy' } }, output: [] } });
  });

  it('maps transcription sessions to transcription_session.* and back', () => {
    const update = clientEventToBeta({ type: 'session.update', session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcmu' }, transcription: { model: 'whisper-1' } } } } });
    expect(update).toEqual({ type: 'transcription_session.update', session: { input_audio_format: 'g711_ulaw', input_audio_transcription: { model: 'whisper-1' } } });
    expect(clientEventFromBeta(update)).toEqual({ type: 'session.update', session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcmu' }, transcription: { model: 'whisper-1' } } } } });
    const created = serverEventFromBeta({ type: 'transcription_session.created', event_id: 'e', session: { id: 's', input_audio_format: 'pcm16' } });
    expect(created).toEqual({ type: 'session.created', event_id: 'e', session: { type: 'transcription', id: 's', audio: { input: { format: { type: 'audio/pcm', rate: 24000 } } } } });
    expect(serverEventToBeta(created)!.type).toBe('transcription_session.created');
  });

  it('keeps unknown fields and unknown event types', () => {
    expect(serverEventFromBeta({ type: 'future.event', event_id: 'e', x: 1 })).toEqual({ type: 'future.event', event_id: 'e', x: 1 });
    expect(sessionFromBeta({ voice: 'alloy', some_new_field: 3 })).toEqual({ type: 'realtime', some_new_field: 3, audio: { output: { voice: 'alloy' } } });
  });
});
