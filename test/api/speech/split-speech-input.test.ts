import { describe, expect, it } from 'vitest';
import { splitSpeechInput, MAX_SPEECH_INPUT_CHARS } from '../../../src/api/speech/split-speech-input.js';

describe('splitSpeechInput', () => {
  it('keeps short text whole', () => {
    expect(splitSpeechInput('Hello. World.')).toEqual(['Hello. World.']);
  });

  it('splits long text at sentence ends, every piece within the limit, nothing lost', () => {
    const sentences = Array.from({ length: 300 }, (_, i) => `Sentence ${i} has some words in it${i % 3 ? '.' : '!'}`);
    const text = sentences.join(' ');
    const pieces = splitSpeechInput(text);
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) {
      expect(p.length).toBeLessThanOrEqual(MAX_SPEECH_INPUT_CHARS);
      expect(p).toMatch(/[.!]$/);
    }
    expect(pieces.join(' ')).toBe(text);
  });

  it('falls back to clauses, then spaces, then a hard cut that keeps surrogate pairs', () => {
    const clause = Array.from({ length: 60 }, (_, i) => `clause ${i} goes on`).join(', ');
    const pieces = splitSpeechInput(clause, 100);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(100);
    expect(pieces.join(' ').replace(/\s+/g, ' ')).toBe(clause);
    const emoji = '🎤'.repeat(100);
    const hard = splitSpeechInput(emoji, 33);
    for (const p of hard) {
      expect(p.length).toBeLessThanOrEqual(33);
      expect(p).toMatch(/^(🎤)+$/u);
    }
    expect(hard.join('')).toBe(emoji);
  });

  it('splits at paragraph breaks and CJK sentence ends', () => {
    const text = `${'一句话。'.repeat(30)}\n\n${'Another paragraph here. '.repeat(5)}`;
    const pieces = splitSpeechInput(text, 50);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(50);
    expect(pieces[0]!.endsWith('。')).toBe(true);
  });
});
