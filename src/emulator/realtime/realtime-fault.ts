/**
 * A fault injected into realtime sessions (by `EmulatorOptions.realtime.faults`, or per session with the
 * `x-emulator-fault` header / `emulator_fault` query parameter of the upgrade).
 */
export type RealtimeFault =
  /** Close the socket with code 1011 after `afterDeltas` audio deltas of the first response (default 2). */
  | { kind: 'close-1011'; afterDeltas?: number; times?: number }
  /** Send one frame that is not JSON after the first audio delta. */
  | { kind: 'malformed-frame'; times?: number }
  /** Send an `error` event (`server_error`) after the first audio delta; the socket stays open and the response goes on. */
  | { kind: 'error-event'; times?: number }
  /** Hold the first audio delta of every response back this long (ms). */
  | { kind: 'slow-first-delta'; delayMs: number; times?: number }
  /** After `response.created` of the first response, send nothing more (the socket stays open). */
  | { kind: 'silent'; times?: number }
  /** Destroy the TCP connection without a close frame after the first audio delta. */
  | { kind: 'drop'; times?: number }
  /** End the session after this many ms (an `error` event `session_expired`, then close), `expires_at` says when. */
  | { kind: 'expire'; afterMs: number; times?: number };

/** The faults one session gets. */
export interface RealtimeFaultPlan {
  close1011AfterDeltas: number | undefined;
  malformedFrame: boolean;
  errorEvent: boolean;
  slowFirstDeltaMs: number;
  silent: boolean;
  drop: boolean;
  expireAfterMs: number | undefined;
  names: string[];
}

/**
 * Parses the realtime items of a fault spec (comma-separated): `close-1011[=N]`, `malformed-frame`,
 * `error-event`, `slow-first-delta=MS`, `silent`, `drop`, `expire=MS`. Other items are returned as unknown.
 */
export function parseRealtimeFaultSpec(items: readonly string[]): { faults: RealtimeFault[]; unknown: string[] } {
  const faults: RealtimeFault[] = [];
  const unknown: string[] = [];
  for (const raw of items) {
    const item = raw.trim().toLowerCase();
    if (item === '') continue;
    const [name, value] = item.split('=', 2) as [string, string | undefined];
    const n = value === undefined ? undefined : Number(value);
    const ok = n === undefined || (Number.isFinite(n) && n >= 0);
    if (name === 'close-1011' && ok) faults.push({ kind: 'close-1011', ...(n !== undefined ? { afterDeltas: Math.floor(n) } : {}) });
    else if (name === 'malformed-frame' && value === undefined) faults.push({ kind: 'malformed-frame' });
    else if (name === 'error-event' && value === undefined) faults.push({ kind: 'error-event' });
    else if (name === 'slow-first-delta' && n !== undefined && ok) faults.push({ kind: 'slow-first-delta', delayMs: Math.min(600_000, n) });
    else if (name === 'silent' && value === undefined) faults.push({ kind: 'silent' });
    else if (name === 'drop' && value === undefined) faults.push({ kind: 'drop' });
    else if (name === 'expire' && n !== undefined && ok) faults.push({ kind: 'expire', afterMs: n });
    else unknown.push(item);
  }
  return { faults, unknown };
}

/** Configured realtime faults with their `times` budgets, shared by the sessions of one emulator. */
export class RealtimeFaultBook {
  private readonly entries: { fault: RealtimeFault; remaining: number }[];

  constructor(faults: readonly RealtimeFault[]) {
    this.entries = faults.map((fault) => ({ fault, remaining: fault.times ?? Number.POSITIVE_INFINITY }));
  }

  /** The plan for a new session: configured faults (consuming budgets), then the session's own. */
  planFor(perSession: readonly RealtimeFault[]): RealtimeFaultPlan {
    const plan: RealtimeFaultPlan = { close1011AfterDeltas: undefined, malformedFrame: false, errorEvent: false, slowFirstDeltaMs: 0, silent: false, drop: false, expireAfterMs: undefined, names: [] };
    const apply = (f: RealtimeFault): void => {
      switch (f.kind) {
        case 'close-1011':
          plan.close1011AfterDeltas = f.afterDeltas ?? 2;
          break;
        case 'malformed-frame':
          plan.malformedFrame = true;
          break;
        case 'error-event':
          plan.errorEvent = true;
          break;
        case 'slow-first-delta':
          plan.slowFirstDeltaMs = f.delayMs;
          break;
        case 'silent':
          plan.silent = true;
          break;
        case 'drop':
          plan.drop = true;
          break;
        case 'expire':
          plan.expireAfterMs = f.afterMs;
          break;
      }
      plan.names.push(f.kind);
    };
    for (const entry of this.entries) {
      if (entry.remaining <= 0) continue;
      entry.remaining--;
      apply(entry.fault);
    }
    for (const f of perSession) apply(f);
    return plan;
  }
}
