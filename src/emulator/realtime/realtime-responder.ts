/** What the emulator knows about the turn it answers, handed to a {@link RealtimeResponder}. */
export interface RealtimeTurn {
  /** Session id (`sess_…`). */
  readonly sessionId: string;
  /** The session's model. */
  readonly model: string;
  /** 0 for the session's first response, then 1, 2, … */
  readonly responseIndex: number;
  /** The session's (or the response's) instructions. */
  readonly instructions: string;
  /** Names of the function tools the response may call. */
  readonly toolNames: readonly string[];
  /** The last user message: typed text, and/or audio with its length and detected speech. */
  readonly user:
    | {
        readonly itemId: string;
        readonly text: string | undefined;
        readonly audioMs: number | undefined;
        /** Speech the VAD found in that audio, ms from the item's start. */
        readonly speech: readonly { readonly startMs: number; readonly endMs: number }[];
        /** Its transcript, when input transcription produced one. */
        readonly transcript: string | undefined;
      }
    | undefined;
  /** The output of the latest function call, when the conversation ends with one. */
  readonly functionOutput: { readonly callId: string; readonly name: string | undefined; readonly output: string } | undefined;
  /** What the emulator would say by itself (an honest description of what it heard). */
  readonly defaultText: string;
}

/**
 * A scripted answer. Every field is optional: the default is the honest text, spoken in the session's
 * voice, with the emulator's usual delay.
 */
export interface RealtimeReply {
  /** What the assistant says (spoken and as transcript, or as text for text-only responses). */
  text?: string;
  /** A function call the response makes (after the spoken text, if any). Arguments as JSON text or an object. */
  toolCall?: { name: string; arguments: string | Record<string, unknown>; callId?: string };
  /** Delay before the first audio (or text) delta, ms. */
  firstAudioDelayMs?: number;
  /** Length of the reply's audio in ms (the speech is repeated or cut to it). */
  audioMs?: number;
}

/**
 * Decides each response: return a {@link RealtimeReply} (or a promise of one), or undefined for the
 * default. Lets tests and offline agent development script replies, tool calls and timing.
 */
export type RealtimeResponder = (turn: RealtimeTurn) => RealtimeReply | undefined | Promise<RealtimeReply | undefined>;

/** The honest default: what was heard (typed text, transcript, or the speech's times and length). */
export function honestReplyText(turn: Omit<RealtimeTurn, 'defaultText'>): string {
  if (turn.functionOutput) {
    return `The function ${turn.functionOutput.name ?? turn.functionOutput.callId} returned ${clip(turn.functionOutput.output, 200)}.`;
  }
  const user = turn.user;
  if (!user) return 'Hello. I am the TokenLab emulator. Nothing has been said yet.';
  if (user.transcript && !user.transcript.startsWith('[')) return `You said: ${clip(user.transcript, 300)}`;
  if (user.text !== undefined) return `You wrote: ${clip(user.text, 300)}`;
  const seconds = ((user.audioMs ?? 0) / 1000).toFixed(1);
  if (user.speech.length === 0) return `I heard ${seconds} seconds of audio, no speech.`;
  const speechMs = user.speech.reduce((sum, s) => sum + (s.endMs - s.startMs), 0);
  // Short on purpose: it is spoken back, and every response renders it.
  return `I heard ${(speechMs / 1000).toFixed(1)} seconds of speech.`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
