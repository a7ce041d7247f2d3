// The `tokenlab-audio` executable (built to dist/cjs/cli.js; bin/tokenlab-audio.cjs starts it).
import { runCli } from './run-cli.js';

const controller = new AbortController();
let interrupts = 0;
const onSignal = (): void => {
  // First Ctrl-C: stop cleanly (children killed, temp files removed); second: leave at once.
  if (++interrupts > 1) process.exit(130);
  controller.abort();
};
process.on('SIGINT', onSignal);
// `tokenlab-audio transcribe x | head`: a closed pipe is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
process.on('SIGTERM', onSignal);

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  signal: controller.signal,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  },
  (error: unknown) => {
    process.stderr.write(`tokenlab-audio: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
