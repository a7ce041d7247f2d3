/**
 * Exit codes of `tokenlab-audio`, stable for scripts:
 * - 0 success
 * - 1 unexpected failure (a bug: please report it with the message)
 * - 2 usage: unknown command or option, missing or malformed argument
 * - 3 input: a file that is missing, empty, not audio or too large; text over limits; no API key
 * - 4 API: the server answered with an error (4xx/5xx); the message carries the request id
 * - 5 network: could not connect, connection lost, or timed out
 * - 6 environment: a required tool (ffmpeg) is missing
 * - 7 batch incomplete: a batch ran to its end but some items failed (the manifest lists them; run the
 *   same command again to retry only those). A batch that stopped early exits with its cause's code
 *   (4 for a 402, 3 for an output it cannot write, 5 for the network, 130 for Ctrl-C).
 * - 130 interrupted (Ctrl-C)
 */
export const EXIT = Object.freeze({
  ok: 0,
  failure: 1,
  usage: 2,
  input: 3,
  api: 4,
  network: 5,
  environment: 6,
  batchIncomplete: 7,
  interrupted: 130,
});

/** One of the values of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
