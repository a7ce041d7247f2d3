import { describe, expect, it } from 'vitest';
import { pieceToSourceMs, type PieceSpan } from '../../../src/jobs/long-transcription/piece-unit.js';

describe('pieceToSourceMs', () => {
  // Speech 10–20 s, a 30 s pause shortened to 2 s (1 s kept on each side), speech 51–60 s.
  const spans: PieceSpan[] = [
    { pieceMs: 0, sourceMs: 10_000, durationMs: 11_000 },
    { pieceMs: 11_000, sourceMs: 50_000, durationMs: 10_000 },
  ];

  it('maps times inside each span exactly', () => {
    expect(pieceToSourceMs(spans, 0)).toBe(10_000);
    expect(pieceToSourceMs(spans, 5_250)).toBe(15_250);
    expect(pieceToSourceMs(spans, 11_000)).toBe(50_000);
    expect(pieceToSourceMs(spans, 12_500)).toBe(51_500);
  });

  it('clamps times past the end (a server rounding up) to the last span end', () => {
    expect(pieceToSourceMs(spans, 21_400)).toBe(60_000);
  });

  it('no spans: the time as it is', () => {
    expect(pieceToSourceMs([], 1234)).toBe(1234);
  });
});
