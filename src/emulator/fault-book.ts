import type { EmulatorFault } from './emulator-options.js';

/** The faults one request gets: at most one of each kind. */
export interface FaultPlan {
  latencyMs: number;
  status: { status: number; retryAfterSeconds: number | undefined } | undefined;
  reset: boolean;
  stall: boolean;
  malformedSse: boolean;
  /** Human-readable names of the applied faults, for the request log. */
  names: string[];
}

/**
 * Parses the per-request fault syntax of the `x-emulator-fault` header and `emulator_fault` query
 * parameter: comma-separated items, each one of
 * - `429`, `500`, `503` (any 4xx/5xx status; `429;retry-after=2` sets `Retry-After` in seconds),
 * - `latency=250` (ms), `reset`, `stall`, `malformed-sse`.
 * Unknown items are ignored (they are listed in `unknown`).
 */
export function parseFaultSpec(spec: string): { faults: EmulatorFault[]; unknown: string[] } {
  const faults: EmulatorFault[] = [];
  const unknown: string[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim().toLowerCase();
    if (item === '') continue;
    const status = /^(\d{3})(?:\s*;\s*retry-after\s*=\s*(\d+(?:\.\d+)?))?$/.exec(item);
    const latency = /^latency\s*=\s*(\d+)$/.exec(item);
    if (status && Number(status[1]) >= 400 && Number(status[1]) <= 599) {
      faults.push({ kind: 'status', status: Number(status[1]), ...(status[2] ? { retryAfterSeconds: Number(status[2]) } : {}) });
    } else if (latency) {
      faults.push({ kind: 'latency', latencyMs: Math.min(600_000, Number(latency[1])) });
    } else if (item === 'reset' || item === 'stall' || item === 'malformed-sse') {
      faults.push({ kind: item });
    } else {
      unknown.push(item);
    }
  }
  return { faults, unknown };
}

function matches(fault: EmulatorFault, path: string): boolean {
  if (fault.match === undefined) return true;
  return typeof fault.match === 'string' ? path.startsWith(fault.match) : fault.match.test(path);
}

/**
 * Configured faults with their remaining `times` budgets, shared by all requests of one emulator.
 */
export class FaultBook {
  private readonly entries: { fault: EmulatorFault; remaining: number }[];

  constructor(faults: readonly EmulatorFault[]) {
    this.entries = faults.map((fault) => ({ fault, remaining: fault.times ?? Number.POSITIVE_INFINITY }));
  }

  /** The plan for one request: configured faults that match `path` (consuming their budgets), then per-request ones. */
  planFor(path: string, perRequest: readonly EmulatorFault[]): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0, status: undefined, reset: false, stall: false, malformedSse: false, names: [] };
    const apply = (fault: EmulatorFault): void => {
      switch (fault.kind) {
        case 'latency':
          plan.latencyMs += fault.latencyMs;
          plan.names.push(`latency=${fault.latencyMs}`);
          break;
        case 'status':
          if (plan.status) return;
          plan.status = { status: fault.status, retryAfterSeconds: fault.retryAfterSeconds };
          plan.names.push(String(fault.status));
          break;
        case 'reset':
          plan.reset = true;
          plan.names.push('reset');
          break;
        case 'stall':
          plan.stall = true;
          plan.names.push('stall');
          break;
        case 'malformed-sse':
          plan.malformedSse = true;
          plan.names.push('malformed-sse');
          break;
      }
    };
    for (const entry of this.entries) {
      if (entry.remaining <= 0 || !matches(entry.fault, path)) continue;
      entry.remaining--;
      apply(entry.fault);
    }
    for (const fault of perRequest) apply(fault);
    return plan;
  }
}
