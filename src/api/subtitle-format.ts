/**
 * SRT and WebVTT from timed text cues (times in ms). One copy, used by the long-file merger and the emulator.
 */

/** A cue: text shown from `startMs` to `endMs`. */
export interface SubtitleCue {
  readonly startMs: number;
  readonly endMs: number;
  readonly text: string;
}

/** `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (VTT); negative times are clamped to 0. */
export function subtitleTimestamp(ms: number, separator: ',' | '.'): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  const milli = total % 1000;
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(milli, 3)}`;
}

/** SRT cues, numbered from 1, `HH:MM:SS,mmm --> HH:MM:SS,mmm`. */
export function toSrt(cues: readonly SubtitleCue[]): string {
  return cues.map((s, i) => `${i + 1}\n${subtitleTimestamp(s.startMs, ',')} --> ${subtitleTimestamp(s.endMs, ',')}\n${s.text}\n`).join('\n');
}

/** WebVTT with a `WEBVTT` header and `HH:MM:SS.mmm` cues. */
export function toVtt(cues: readonly SubtitleCue[]): string {
  return `WEBVTT\n\n${cues.map((s) => `${subtitleTimestamp(s.startMs, '.')} --> ${subtitleTimestamp(s.endMs, '.')}\n${s.text}\n`).join('\n')}`;
}
