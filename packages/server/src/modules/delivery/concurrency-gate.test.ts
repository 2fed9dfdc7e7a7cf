import { describe, expect, it } from 'vitest';
import { createConcurrencyGate } from './concurrency-gate.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('createConcurrencyGate', () => {
  it('a slow destination holds at most its limit while other destinations proceed', async () => {
    const gate = createConcurrencyGate(2);
    const finishSlow: Array<() => void> = [];
    const started: string[] = [];
    const slow = Array.from({ length: 5 }, (_, i) =>
      gate.run('wh_slow', () => {
        started.push(`slow${i}`);
        return new Promise<void>((resolve) => finishSlow.push(resolve));
      }),
    );
    const fast = gate.run('wh_fast', () => {
      started.push('fast');
      return Promise.resolve('done');
    });
    await expect(fast).resolves.toBe('done');
    expect(gate.activeCount('wh_slow')).toBe(2);
    expect(gate.waitingCount('wh_slow')).toBe(3);
    expect(started).toEqual(['slow0', 'slow1', 'fast']);

    finishSlow.shift()?.();
    await tick();
    expect(started).toContain('slow2'); // first in, first out
    while (finishSlow.length > 0 || gate.activeCount('wh_slow') > 0) {
      finishSlow.shift()?.();
      await tick();
    }
    await Promise.all(slow);
    expect(gate.activeCount('wh_slow')).toBe(0);
  });

  it('tryAcquire lets a worker defer instead of queueing, and release is idempotent', () => {
    const gate = createConcurrencyGate(1);
    const release = gate.tryAcquire('k');
    expect(release).not.toBeNull();
    expect(gate.tryAcquire('k')).toBeNull();
    release?.();
    release?.();
    expect(gate.activeCount('k')).toBe(0);
    const again = gate.tryAcquire('k');
    expect(again).not.toBeNull();
    expect(gate.tryAcquire('k')).toBeNull();
  });

  it('frees the slot when the task throws', async () => {
    const gate = createConcurrencyGate(1);
    await expect(gate.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.activeCount('k')).toBe(0);
  });

  it('an aborted waiter leaves the queue without taking a slot', async () => {
    const gate = createConcurrencyGate(1);
    const release = gate.tryAcquire('k');
    const controller = new AbortController();
    const waiting = gate.acquire('k', controller.signal);
    expect(gate.waitingCount('k')).toBe(1);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    expect(gate.waitingCount('k')).toBe(0);
    release?.();
    expect(gate.activeCount('k')).toBe(0);
  });
});
