import type { ServerResponse } from 'node:http';
import { HttpError, sendBody } from './http.js';
import type { Fault } from './types.js';

const FAULT_KEYS = new Set(['provider', 'latencyMs', 'status', 'mode', 'rate']);
const MODES = new Set(['timeout', 'reset', 'garbage']);
const MAX_LATENCY_MS = 10 * 60 * 1000;

/** Checks a fault, or a list of them, as posted to `/__sim/faults`; throws a 400 `HttpError` naming the field. */
export function parseFaults(input: unknown): Fault[] {
  const list = Array.isArray(input) ? input : [input];
  return list.map((item, index) => parseFault(item, Array.isArray(input) ? `faults[${index}]` : 'fault'));
}

function parseFault(input: unknown, where: string): Fault {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new HttpError(400, `${where} must be an object.`);
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!FAULT_KEYS.has(key)) {
      throw new HttpError(400, `${where}.${key} is not a fault field; use ${[...FAULT_KEYS].join(', ')}.`);
    }
  }
  const fault: Fault = {};
  const { provider, latencyMs, status, mode, rate } = record;
  if (provider !== undefined) {
    if (typeof provider !== 'string' || provider === '') {
      throw new HttpError(400, `${where}.provider must be a provider id such as "signicat".`);
    }
    fault.provider = provider;
  }
  if (latencyMs !== undefined) {
    if (
      typeof latencyMs !== 'number' ||
      !Number.isFinite(latencyMs) ||
      latencyMs < 0 ||
      latencyMs > MAX_LATENCY_MS
    ) {
      throw new HttpError(
        400,
        `${where}.latencyMs must be a number of milliseconds from 0 to ${MAX_LATENCY_MS}.`,
      );
    }
    fault.latencyMs = latencyMs;
  }
  if (status !== undefined) {
    if (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599) {
      throw new HttpError(400, `${where}.status must be an HTTP error status from 400 to 599.`);
    }
    fault.status = status as number;
  }
  if (mode !== undefined) {
    if (typeof mode !== 'string' || !MODES.has(mode)) {
      throw new HttpError(400, `${where}.mode must be "timeout", "reset" or "garbage".`);
    }
    fault.mode = mode as Fault['mode'];
  }
  if (rate !== undefined) {
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new HttpError(400, `${where}.rate must be a probability from 0 to 1.`);
    }
    fault.rate = rate;
  }
  if (fault.status !== undefined && fault.mode !== undefined) {
    throw new HttpError(400, `${where} has both status and mode; give one of them.`);
  }
  if (fault.latencyMs === undefined && fault.status === undefined && fault.mode === undefined) {
    throw new HttpError(400, `${where} does nothing; give latencyMs, status or mode.`);
  }
  return fault;
}

/** Answers a `status` fault in the provider's own error format. */
export type StatusResponder = (res: ServerResponse, status: number) => void;

/**
 * The active faults. For each provider API request the list is walked in order and the first fault that
 * matches the provider and wins its `rate` draw is applied.
 */
export class FaultInjector {
  private faults: Fault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private random: () => number;

  /**
   * With a `seed`, the `rate` draws come from a seeded generator that restarts with each `set()`: the same
   * faults over the same sequence of requests fire on the same requests. Without one, `Math.random`.
   */
  constructor(private readonly seed?: number) {
    this.random = seeded(seed);
  }

  set(faults: Fault[]): void {
    this.faults = [...faults];
    this.random = seeded(this.seed);
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return [...this.faults];
  }

  pick(provider: string): Fault | undefined {
    return this.faults.find(
      (fault) => (fault.provider === undefined || fault.provider === provider) && this.draw(fault.rate),
    );
  }

  /**
   * Applies a fault. Resolves `true` when the fault has taken over the response (or withholds it for
   * good), `false` when the route should answer normally.
   */
  async apply(fault: Fault, res: ServerResponse, respondWithStatus: StatusResponder): Promise<boolean> {
    if (fault.latencyMs) {
      await this.sleep(fault.latencyMs);
      if (res.destroyed) return true;
    }
    switch (fault.mode) {
      case 'timeout':
        // Hold the socket open and never answer; close() destroys it.
        return true;
      case 'reset':
        res.socket?.destroy();
        return true;
      case 'garbage':
        sendBody(res, 200, 'application/json; charset=utf-8', '{"status": "SUCC<html>not json');
        return true;
      default:
        break;
    }
    if (fault.status !== undefined) {
      respondWithStatus(res, fault.status);
      return true;
    }
    return false;
  }

  /** A fault with no rate (or rate 1) always fires and draws nothing, so it leaves the sequence alone. */
  private draw(rate: number | undefined): boolean {
    if (rate === undefined || rate >= 1) return true;
    return this.random() < rate;
  }

  /** Stops pending latency timers; their requests are never answered (close() destroys their sockets). */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

/** `Math.random`, or mulberry32 from `seed` (a small, well-mixed 32-bit generator: enough for fault draws). */
function seeded(seed: number | undefined): () => number {
  if (seed === undefined) return Math.random;
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
