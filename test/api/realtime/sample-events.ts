// One GA event of every client and server type, shaped as a real session sends them; used by the dialect and
// conformance tests (GA as is, beta through the dialect translation).
import type { RealtimeClientEvent, RealtimeServerEvent } from '../../../src/api/realtime/events.js';

const audio = Buffer.alloc(960).toString('base64');

export const SAMPLE_CLIENT_EVENTS: RealtimeClientEvent[] = [
  {
    type: 'session.update',
    event_id: 'evt_c1',
    session: {
      type: 'realtime',
      output_modalities: ['audio'],
      instructions: 'Be brief.',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          transcription: { model: 'whisper-1', language: 'en' },
          noise_reduction: { type: 'near_field' },
          turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: true, interrupt_response: true },
        },
        output: { format: { type: 'audio/pcmu' }, voice: 'alloy', speed: 1 },
      },
      tools: [{ type: 'function', name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: 'auto',
      max_output_tokens: 'inf',
    },
  },
  { type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'high' }, format: { type: 'audio/pcma' } } } } },
  { type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } },
  { type: 'input_audio_buffer.append', audio },
  { type: 'input_audio_buffer.commit' },
  { type: 'input_audio_buffer.clear' },
  { type: 'output_audio_buffer.clear' },
  { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] } },
  { type: 'conversation.item.create', previous_item_id: 'item_1', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi there.' }] } },
  { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_1', output: '{"temp":21}' } },
  { type: 'conversation.item.retrieve', item_id: 'item_1' },
  { type: 'conversation.item.delete', item_id: 'item_1' },
  { type: 'conversation.item.truncate', item_id: 'item_2', content_index: 0, audio_end_ms: 1500 },
  { type: 'response.create' },
  {
    type: 'response.create',
    response: { output_modalities: ['audio'], instructions: 'Answer.', audio: { output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'verse' } }, conversation: 'auto', max_output_tokens: 200 },
  },
  { type: 'response.cancel' },
  { type: 'response.cancel', response_id: 'resp_1' },
];

const part = { response_id: 'resp_1', item_id: 'item_2', output_index: 0, content_index: 0 };
const assistantItem = { id: 'item_2', object: 'realtime.item' as const, type: 'message' as const, status: 'in_progress' as const, role: 'assistant' as const, content: [{ type: 'output_audio', transcript: 'Hi' }] };
const response = {
  id: 'resp_1',
  object: 'realtime.response' as const,
  status: 'completed' as const,
  output: [{ ...assistantItem, status: 'completed' as const }],
  conversation_id: 'conv_1',
  output_modalities: ['audio' as const],
  audio: { output: { format: { type: 'audio/pcm' as const, rate: 24000 as const }, voice: 'alloy' } },
  usage: { total_tokens: 30, input_tokens: 10, output_tokens: 20, input_token_details: { cached_tokens: 0, text_tokens: 4, audio_tokens: 6 }, output_token_details: { text_tokens: 5, audio_tokens: 15 } },
};
const session = {
  type: 'realtime' as const,
  id: 'sess_1',
  object: 'realtime.session',
  expires_at: 1_900_000_000,
  model: 'gpt-realtime',
  output_modalities: ['audio' as const],
  instructions: '',
  audio: {
    input: { format: { type: 'audio/pcm' as const, rate: 24000 as const }, turn_detection: { type: 'server_vad' as const, threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 } },
    output: { format: { type: 'audio/pcm' as const, rate: 24000 as const }, voice: 'alloy', speed: 1 },
  },
  tools: [],
  tool_choice: 'auto' as const,
  max_output_tokens: 'inf' as const,
};

export const SAMPLE_SERVER_EVENTS: RealtimeServerEvent[] = [
  { type: 'error', event_id: 'e1', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'Bad', param: null, event_id: 'evt_c1' } },
  { type: 'session.created', event_id: 'e2', session },
  { type: 'session.updated', event_id: 'e3', session },
  { type: 'conversation.created', event_id: 'e4', conversation: { id: 'conv_1', object: 'realtime.conversation' } },
  { type: 'conversation.item.added', event_id: 'e5', previous_item_id: null, item: { id: 'item_1', object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio' }] } },
  { type: 'conversation.item.done', event_id: 'e6', previous_item_id: null, item: { id: 'item_1', object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_audio', transcript: 'hello' }] } },
  { type: 'conversation.item.retrieved', event_id: 'e7', item: { id: 'item_1', object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] } },
  { type: 'conversation.item.deleted', event_id: 'e8', item_id: 'item_1' },
  { type: 'conversation.item.truncated', event_id: 'e9', item_id: 'item_2', content_index: 0, audio_end_ms: 1500 },
  { type: 'conversation.item.input_audio_transcription.delta', event_id: 'e10', item_id: 'item_1', content_index: 0, delta: 'hel' },
  { type: 'conversation.item.input_audio_transcription.completed', event_id: 'e11', item_id: 'item_1', content_index: 0, transcript: 'hello', usage: { type: 'duration', seconds: 1 } },
  { type: 'conversation.item.input_audio_transcription.failed', event_id: 'e12', item_id: 'item_1', content_index: 0, error: { type: 'transcription_error', code: 'audio_unintelligible', message: 'No speech' } },
  { type: 'input_audio_buffer.speech_started', event_id: 'e13', audio_start_ms: 1000, item_id: 'item_1' },
  { type: 'input_audio_buffer.speech_stopped', event_id: 'e14', audio_end_ms: 2000, item_id: 'item_1' },
  { type: 'input_audio_buffer.committed', event_id: 'e15', previous_item_id: null, item_id: 'item_1' },
  { type: 'input_audio_buffer.cleared', event_id: 'e16' },
  { type: 'input_audio_buffer.timeout_triggered', event_id: 'e17', audio_start_ms: 0, audio_end_ms: 5000, item_id: 'item_3' },
  { type: 'response.created', event_id: 'e18', response: { id: 'resp_1', object: 'realtime.response', status: 'in_progress', output: [], conversation_id: 'conv_1', output_modalities: ['audio'] } },
  { type: 'response.output_item.added', event_id: 'e19', response_id: 'resp_1', output_index: 0, item: assistantItem },
  { type: 'response.content_part.added', event_id: 'e20', ...part, part: { type: 'audio', transcript: '' } },
  { type: 'response.output_audio.delta', event_id: 'e21', ...part, delta: audio },
  { type: 'response.output_audio_transcript.delta', event_id: 'e22', ...part, delta: 'Hi' },
  { type: 'response.output_audio.done', event_id: 'e23', ...part },
  { type: 'response.output_audio_transcript.done', event_id: 'e24', ...part, transcript: 'Hi' },
  { type: 'response.output_text.delta', event_id: 'e25', ...part, delta: 'Hi' },
  { type: 'response.output_text.done', event_id: 'e26', ...part, text: 'Hi' },
  { type: 'response.content_part.done', event_id: 'e27', ...part, part: { type: 'audio', transcript: 'Hi' } },
  { type: 'response.function_call_arguments.delta', event_id: 'e28', response_id: 'resp_1', item_id: 'item_4', output_index: 1, call_id: 'call_1', delta: '{"ci' },
  { type: 'response.function_call_arguments.done', event_id: 'e29', response_id: 'resp_1', item_id: 'item_4', output_index: 1, call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
  { type: 'response.output_item.done', event_id: 'e30', response_id: 'resp_1', output_index: 0, item: { ...assistantItem, status: 'completed' } },
  { type: 'response.done', event_id: 'e31', response },
  { type: 'rate_limits.updated', event_id: 'e32', rate_limits: [{ name: 'requests', limit: 1000, remaining: 999, reset_seconds: 60 }, { name: 'tokens', limit: 50000, remaining: 49970, reset_seconds: 1.5 }] },
  { type: 'output_audio_buffer.started', event_id: 'e33', response_id: 'resp_1' },
  { type: 'output_audio_buffer.stopped', event_id: 'e34', response_id: 'resp_1' },
  { type: 'output_audio_buffer.cleared', event_id: 'e35', response_id: 'resp_1' },
];
