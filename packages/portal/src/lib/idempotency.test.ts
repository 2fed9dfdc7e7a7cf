import { describe, expect, it } from 'vitest';
import { createIdempotencyKeys } from './idempotency';

describe('idempotency keys of a create form', () => {
  it('reuses the key for the same values until a success, and never for other values', () => {
    let n = 0;
    const keys = createIdempotencyKeys(() => `key-${++n}`);
    const first = keys.keyFor({ url: 'https://example.com/hook', events: ['lead.captured'] });
    expect(keys.keyFor({ url: 'https://example.com/hook', events: ['lead.captured'] })).toBe(first);
    const other = keys.keyFor({ url: 'https://example.com/other', events: ['lead.captured'] });
    expect(other).not.toBe(first);
    keys.settle();
    expect(keys.keyFor({ url: 'https://example.com/other', events: ['lead.captured'] })).not.toBe(other);
  });
});
