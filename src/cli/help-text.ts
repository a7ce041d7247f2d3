/** One-line usage per command (shown after a usage error) and the full help. */
export const USAGE: Record<string, string> = {
  models: 'tokenlab-audio models [--recommended-for tts|stt] [--category C] [--provider P] [--json]',
  speak: 'tokenlab-audio speak "text" -o out.mp3 [--model M] [--voice V] [--format mp3|opus|aac|flac|wav|pcm] [--speed 0.25-4] [--instructions TEXT] [--json]',
  transcribe: 'tokenlab-audio transcribe FILE [--format text|srt|vtt|json|verbose_json] [--model M] [--language xx] [--prompt TEXT] [--upload-limit-bytes N] [-o OUT] [--json]',
  translate: 'tokenlab-audio translate FILE [--format text|srt|vtt|json|verbose_json] [--model M] [--prompt TEXT] [--upload-limit-bytes N] [-o OUT] [--json]',
  split: 'tokenlab-audio split FILE -o DIR [--min-silence-ms N] [--max-utterance-ms N] [--format wav|ogg-opus] [--json]',
  emulate:
    'tokenlab-audio emulate [--port 8787] [--host 127.0.0.1] [--accept-key KEY] [--fault SPEC] [--upload-limit-bytes N] [--voice auto|espeak|builtin] [--speech-detector vad|energy|none] [--recognizer "CMD ARGS"] [--log]',
  demo: 'tokenlab-audio demo [--live] [--keep DIR] [--json]',
};

/** The full `--help` text. */
export function helpText(version: string): string {
  return `tokenlab-audio ${version}: audio streams and tools for the TokenLab audio API

Usage:
${Object.values(USAGE)
  .map((u) => `  ${u}`)
  .join('\n')}

Commands:
  models      list models (shortlist for a task with --recommended-for)
  speak       text to speech into a file (-o - writes to stdout); format from the extension unless --format
  transcribe  speech to text; text, SRT, VTT or JSON on stdout or into -o
  translate   speech in any language to English text
  split       cut a recording into one file per utterance with the VAD, plus index.json of times
  emulate     run the offline API emulator on 127.0.0.1 (for tests and trying things without a key);
              --recognizer runs a local speech recognizer (WAV on stdin, text on stdout) per segment
  demo        speak -> decode -> resample -> VAD split -> transcribe against an in-process emulator
              (--live: against the real API with your key)

Options for every command:
  --api-key KEY     API key (default: $TOKENLAB_API_KEY); never printed
  --base-url URL    API base URL (default: $TOKENLAB_BASE_URL or https://api.tokenlab.sh/v1)
  --json            machine-readable output: one JSON document on stdout
  -q, --quiet       no progress or status lines on stderr
  -h, --help        this help (or the command's usage)
  -v, --version     the version

Exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 input (file, text, missing key), 4 API error,
5 network (connection, timeout), 6 environment (ffmpeg missing), 130 interrupted.

Emulator faults (for testing clients): header "x-emulator-fault" or query "emulator_fault" with
comma-separated items: 429[;retry-after=S], 500, 503 (any 4xx/5xx), latency=MS, reset, stall, malformed-sse.
`;
}
