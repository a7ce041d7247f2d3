import { TokenLabAudioError } from '../../core/errors.js';

/**
 * A billable call was not made because its estimated cost would take the spending past the budget cap
 * (`maxCostUsd`). Nothing was sent for it; what finished before is kept.
 */
export class BudgetExceededError extends TokenLabAudioError {
  static override brandName = 'BudgetExceededError';
  /** The cap, USD. */
  readonly maxCostUsd: number;
  /** Spent (finished calls) plus reserved (calls in flight), USD, when it stopped. */
  readonly committedUsd: number;
  /** The estimate of the call that was not made, USD. */
  readonly nextCostUsd: number;
  /** What was not started (e.g. `piece 12 of 40`). */
  readonly stoppedAt: string;

  constructor(init: { maxCostUsd: number; committedUsd: number; nextCostUsd: number; stoppedAt: string }) {
    super(
      `Budget cap reached: stopped before ${init.stoppedAt}. Spent or committed $${formatUsd(init.committedUsd)} of $${formatUsd(init.maxCostUsd)}; ` +
        `the next call would cost about $${formatUsd(init.nextCostUsd)}. Raise the cap (maxCostUsd / --max-cost) and run again: finished work is kept.`,
      'TLA_ERR_BUDGET_EXCEEDED',
    );
    this.maxCostUsd = init.maxCostUsd;
    this.committedUsd = init.committedUsd;
    this.nextCostUsd = init.nextCostUsd;
    this.stoppedAt = init.stoppedAt;
  }
}

/** USD with enough digits for sub-cent API prices (`0.0042`, `1.25`). */
export function formatUsd(usd: number): string {
  if (usd === 0) return '0.00';
  if (Math.abs(usd) >= 1) return usd.toFixed(2);
  return usd.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '');
}
