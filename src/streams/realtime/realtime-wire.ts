/** The audio a realtime session carries on the wire, both ways: PCM16 24 kHz mono, or G.711 µ-law / A-law 8 kHz. */
import type { G711Law } from '../../codecs/g711/g711.js';

/** `pcm` (PCM16 24 kHz), `pcmu` (G.711 µ-law 8 kHz) or `pcma` (G.711 A-law 8 kHz). */
export type RealtimeWireFormat = 'pcm' | 'pcmu' | 'pcma';

/** What a wire format means for the bytes. */
export interface RealtimeWire {
  readonly format: RealtimeWireFormat;
  /** The G.711 law, or undefined for PCM16. */
  readonly law: G711Law | undefined;
  readonly sampleRate: number;
  readonly bytesPerSample: number;
}

/** @throws nothing; the format is checked by the caller. */
export function realtimeWire(format: RealtimeWireFormat): RealtimeWire {
  const law: G711Law | undefined = format === 'pcmu' ? 'mulaw' : format === 'pcma' ? 'alaw' : undefined;
  return { format, law, sampleRate: law ? 8000 : 24000, bytesPerSample: law ? 1 : 2 };
}
