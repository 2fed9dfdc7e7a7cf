import { useRef } from 'react';

/**
 * `Idempotency-Key`s for a create form (the API keeps each for 24 hours: a repeat answers the first response, a
 * different body with the same key is refused). Submitting the same values again — a second click, or a retry
 * after "Could not reach the server" — reuses the key, so the server creates one webhook, API key, chatbot or
 * import however often the request arrived; other values, or a submit after a success, get a new key.
 */
export interface IdempotencyKeys {
  /** The key for a submission of `body`. */
  keyFor(body: unknown): string;
  /** Forgets the key after a success: the next submission is a new create. */
  settle(): void;
}

export function createIdempotencyKeys(newKey: () => string = () => crypto.randomUUID()): IdempotencyKeys {
  let current: { key: string; body: string } | null = null;
  return {
    keyFor(body) {
      const text = JSON.stringify(body) ?? '';
      if (!current || current.body !== text) current = { key: newKey(), body: text };
      return current.key;
    },
    settle() {
      current = null;
    },
  };
}

/** One form's keys, kept across renders. */
export function useIdempotencyKeys(): IdempotencyKeys {
  const keys = useRef<IdempotencyKeys | null>(null);
  keys.current ??= createIdempotencyKeys();
  return keys.current;
}
