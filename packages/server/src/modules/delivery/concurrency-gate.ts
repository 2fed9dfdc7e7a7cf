/**
 * A per-destination cap on requests in flight (keyed by webhook id or origin), so one slow or hanging
 * receiver holds at most `limitPerKey` slots while deliveries to everyone else keep flowing.
 * Waiters are served first-in, first-out; keys with nothing active or waiting are forgotten (no leak
 * across millions of destinations).
 */

export type ReleaseFn = () => void;

export interface ConcurrencyGate {
  /** Takes a slot now, or returns null when the key is at its limit (lets a worker defer, not wait). */
  tryAcquire(key: string): ReleaseFn | null;
  /** Waits for a slot; rejects with the signal's reason if aborted while waiting. */
  acquire(key: string, signal?: AbortSignal): Promise<ReleaseFn>;
  /** Runs `task` inside a slot and frees the slot however the task ends. */
  run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Requests in flight for a key. */
  activeCount(key: string): number;
  /** Callers waiting for a slot of a key. */
  waitingCount(key: string): number;
}

interface KeyState {
  active: number;
  waiters: Array<() => void>;
}

/** Creates a gate allowing at most `limitPerKey` concurrent holders per key. */
export function createConcurrencyGate(limitPerKey: number): ConcurrencyGate {
  if (!Number.isInteger(limitPerKey) || limitPerKey < 1) throw new Error('limitPerKey must be a positive integer');
  const states = new Map<string, KeyState>();

  const stateOf = (key: string): KeyState => {
    let state = states.get(key);
    if (state === undefined) {
      state = { active: 0, waiters: [] };
      states.set(key, state);
    }
    return state;
  };

  const makeRelease = (key: string, state: KeyState): ReleaseFn => {
    let released = false;
    return () => {
      // Idempotent: a double release must never hand out a slot that is still in use.
      if (released) return;
      released = true;
      const next = state.waiters.shift();
      if (next !== undefined) {
        next(); // the slot passes straight to the next waiter; `active` stays the same
        return;
      }
      state.active -= 1;
      if (state.active === 0) states.delete(key);
    };
  };

  const tryAcquire = (key: string): ReleaseFn | null => {
    const state = stateOf(key);
    if (state.active >= limitPerKey) return null;
    state.active += 1;
    return makeRelease(key, state);
  };

  const acquire = (key: string, signal?: AbortSignal): Promise<ReleaseFn> => {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const immediate = tryAcquire(key);
    if (immediate !== null) return Promise.resolve(immediate);
    const state = stateOf(key);
    return new Promise<ReleaseFn>((resolve, reject) => {
      const onAbort = (): void => {
        const index = state.waiters.indexOf(grant);
        if (index !== -1) state.waiters.splice(index, 1);
        reject(signal?.reason as Error);
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(makeRelease(key, state));
      };
      state.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  return {
    tryAcquire,
    acquire,
    async run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const release = await acquire(key, signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
    activeCount: (key) => states.get(key)?.active ?? 0,
    waitingCount: (key) => states.get(key)?.waiters.length ?? 0,
  };
}
