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

  constructor(
    private readonly io: CliIo,
    flags: Pick<CommonFlags, 'json' | 'quiet'>,
    private readonly label: string,
  ) {
    this.enabled = io.stderr.isTTY === true && !flags.json && !flags.quiet;
  }

  /** Bytes sent so far of `totalBytes` (unknown total: the bar shows bytes only). */
  upload(sentBytes: number, totalBytes: number | undefined): void {
    if (!this.enabled) return;
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.io.stderr as NodeJS.WritableStream,
          format: `${this.label} |{bar}| {percentage}% {sent}/{total}`,
          hideCursor: true,
          clearOnComplete: true,
          barsize: 30,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(totalBytes ?? 1, 0, { sent: formatBytes(0), total: totalBytes ? formatBytes(totalBytes) : '?' });
    }
    if (totalBytes) this.bar.setTotal(totalBytes);
    this.bar.update(totalBytes ? sentBytes : 0, { sent: formatBytes(sentBytes), total: totalBytes ? formatBytes(totalBytes) : '?' });
  }

  /** The upload is complete; the server is working. */
  processing(): void {
    if (!this.enabled) return;
    this.stopBar();
    this.processingSince = Date.now();
    this.io.stderr.write(`${this.label}: uploaded, processing…`);
  }

  /** Clears whatever is shown. */
  done(): void {
    if (!this.enabled) return;
    this.stopBar();
    if (this.processingSince) {
      this.io.stderr.write(` done in ${((Date.now() - this.processingSince) / 1000).toFixed(1)} s\n`);
      this.processingSince = 0;
    }
  }

  private stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}
