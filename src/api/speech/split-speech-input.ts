import { InputError } from '../../core/errors.js';
/**
 * Splits text longer than the speech endpoint's limit (4096 characters) into pieces at sentence boundaries,
 * falling back to clause punctuation, then whitespace, then a hard cut that never splits a surrogate pair.
 * Lengths are counted in UTF-16 units, which is never less than the server's count of code points.
 */

/** The speech endpoint's `input` limit (`AudioSpeechRequest.input.maxLength`). */
export const MAX_SPEECH_INPUT_CHARS = 4096;

// CJK full stops end a sentence without a following space; Latin ones need one (so "3.14" and "e.g.x" stay whole).
const SENTENCE_END = /[。！？]+["'”’」』)\]]*\s*|[.!?…]+["'”’)\]]*(?:\s+|$)|\n\s*\n+/g;

/** Pieces of `text`, each at most `maxChars` long, in order; joined they give back the text (minus whitespace at cuts). */
export function splitSpeechInput(text: string, maxChars = MAX_SPEECH_INPUT_CHARS): string[] {
  if (!Number.isInteger(maxChars) || maxChars < 16) throw new InputError(`maxChars must be an integer ≥ 16, got ${maxChars}.`, 'TLA_ERR_INPUT_OPTION');
  if (text.length <= maxChars) return [text];
  const sentences: string[] = [];
  let last = 0;
  for (const m of text.matchAll(SENTENCE_END)) {
    const end = (m.index ?? 0) + m[0].length;
    if (end > last) sentences.push(text.slice(last, end));
    last = end;
  }
  if (last < text.length) sentences.push(text.slice(last));

  const out: string[] = [];
  let current = '';
  const flush = () => {
    const t = current.trim();
    if (t) out.push(t);
    current = '';
  };
  for (const sentence of sentences) {
    if (current.length + sentence.length <= maxChars) {
      current += sentence;
      continue;
    }
    flush();
    if (sentence.length <= maxChars) current = sentence;
    else for (const piece of splitLong(sentence, maxChars)) out.push(piece);
  }
  flush();
  return out;
}

function splitLong(text: string, maxChars: number): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest.length > maxChars) {
    const window = rest.slice(0, maxChars);
    let cut = lastMatchEnd(window, /[,;:—–]\s+/g);
    if (cut < maxChars / 2) cut = Math.max(cut, lastMatchEnd(window, /\s+/g));
    if (cut < maxChars / 4) {
      cut = maxChars;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
    }
    const piece = rest.slice(0, cut).trim();
    if (piece) out.push(piece);
    rest = rest.slice(cut).trimStart();
  }
  if (rest.trim()) out.push(rest.trim());
  return out;
}

function lastMatchEnd(text: string, re: RegExp): number {
  let end = 0;
  for (const m of text.matchAll(re)) end = (m.index ?? 0) + m[0].length;
  return end;
}
