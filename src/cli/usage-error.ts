import { TokenLabAudioError } from '../core/errors.js';

/** Bad command-line usage: the CLI prints the message and the command's usage line, and exits with 2. */
export class UsageError extends TokenLabAudioError {
  static override brandName = 'UsageError';
  /** The command whose usage to show, when known. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message, 'TLA_ERR_USAGE');
    this.command = command;
  }
}
