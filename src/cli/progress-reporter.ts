import cliProgress from 'cli-progress';
import type { CliIo, CommonFlags } from './cli-io.js';
import { formatBytes } from './cli-io.js';

/**
 * Upload and processing progress on stderr with cli-progress, only when stderr is a terminal and the
 * run is neither `--json` nor `--quiet` (scripts and pipes get no control characters).
 */
export class ProgressReporter {
  private bar: cliProgress.SingleBar | undefined;
  private readonly enabled: boolean;
  private processingSince = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly io: CliIo,
    flags: Pick<CommonFlags, 'json' | 'quiet'>,
    private readonly label: string,
  ) {
    this.enabled = io.stderr.isTTY === true && !flags.json && !flags.quiet;
  }

  /** Bytes sent so far of `totalBytes` (unknown total: the bar shows bytes only), both shown in the same units. */
  upload(sentBytes: number, totalBytes: number | undefined): void {
    if (!this.enabled) return;
    // Payload keys of our own: cli-progress fills `{value}` and `{total}` with raw numbers itself.
    const payload = { sentText: formatBytes(sentBytes), totalText: totalBytes ? formatBytes(totalBytes) : '?' };
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.io.stderr as NodeJS.WritableStream,
          format: `${this.label} |{bar}| {percentage}% {sentText}/{totalText}`,
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(totalBytes ?? 1, 0, payload);
    }
    if (totalBytes) this.bar.setTotal(totalBytes);
    this.bar.update(totalBytes ? sentBytes : 0, payload);
  }

  /** The upload is complete; the server is working. Shows the seconds spent waiting, updated each second. */
  processing(): void {
    if (!this.enabled || this.processingSince) return;
    this.stopBar();
    this.processingSince = Date.now();
    const line = () => `\r${this.label}: uploaded, processing… ${Math.floor((Date.now() - this.processingSince) / 1000)} s`;
    this.io.stderr.write(line());
    this.ticker = setInterval(() => this.io.stderr.write(line()), 1000);
    this.ticker.unref?.();
  }

  /** The result arrived: ends the processing line with how long it took. */
  done(): void {
    if (!this.enabled) return;
    this.stopBar();
    if (this.processingSince) {
      this.stopTicker();
      this.io.stderr.write(`\r${this.label}: uploaded, processed in ${((Date.now() - this.processingSince) / 1000).toFixed(1)} s\n`);
      this.processingSince = 0;
    }
  }

  /** Clears whatever is shown without claiming success (failure, Ctrl-C): the error message follows on its own line. */
  stop(): void {
    if (!this.enabled) return;
    this.stopBar();
    if (this.processingSince) {
      this.stopTicker();
      this.io.stderr.write('\n');
      this.processingSince = 0;
    }
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
