import { performance } from 'node:perf_hooks';

/**
 * One paced stream on the shared clock: its next due time on `performance.now()`, and what to run
 * when it is due.
 * @internal
 */
export interface PacedClockMember {
  dueMs: number;
  /** Runs the member's frames due by `nowMs`; sets `dueMs` to its next due time (or leaves the clock). */
  tick(nowMs: number): void;
}

/**
 * Members due this close after the earliest one go out in the same timer turn. Node's timers have
 * millisecond resolution and fire late by about as much, so this adds no jitter that a timer of
 * its own would not, and it lets streams started in the same millisecond share one timer turn.
 */
const COALESCE_MS = 1;

/**
 * One timer for every {@link PacedOutput} in the thread. A timer per stream costs a Timeout object,
 * a timer-list insertion and a pass of Node's tick queue per frame and stream; the shared clock
 * costs one of each per timer turn, however many streams are due in it.
 * @internal
 */
class PacedClock {
  readonly #members = new Set<PacedClockMember>();
  #timer: NodeJS.Timeout | null = null;
  /** When #timer fires (Infinity: not armed). */
  #armedForMs = Number.POSITIVE_INFINITY;

  /** Adds a member; it is first run on a later timer turn (never synchronously), at its `dueMs`. */
  add(member: PacedClockMember): void {
    this.#members.add(member);
    if (member.dueMs < this.#armedForMs) this.#arm(member.dueMs);
  }

  /** Removes a member; the timer goes when the last member leaves. */
  delete(member: PacedClockMember): void {
    if (!this.#members.delete(member) || this.#members.size > 0) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#armedForMs = Number.POSITIVE_INFINITY;
  }

  #arm(dueMs: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#armedForMs = dueMs;
    this.#timer = setTimeout(this.#fire, Math.max(0, dueMs - performance.now()));
  }

  readonly #fire = (): void => {
    this.#timer = null;
    this.#armedForMs = Number.POSITIVE_INFINITY;
    const nowMs = performance.now() + COALESCE_MS;
    // A member may leave (or another join) while this runs: Set iteration allows both.
    for (const member of this.#members) {
      if (member.dueMs <= nowMs) member.tick(nowMs);
    }
    let next = Number.POSITIVE_INFINITY;
    for (const member of this.#members) if (member.dueMs < next) next = member.dueMs;
    if (next !== Number.POSITIVE_INFINITY && next < this.#armedForMs) this.#arm(next);
  };
}

/** The thread's paced clock. @internal */
export const pacedClock = new PacedClock();
