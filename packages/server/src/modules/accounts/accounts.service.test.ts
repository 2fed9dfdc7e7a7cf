import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as crypto from '../../lib/crypto.js';
import type * as CryptoModule from '../../lib/crypto.js';
import { openTestDatabase } from '../../test/harness.js';
import { logIn, signUp } from './accounts.service.js';

// Pass-through spies: the real scrypt runs, and the test sees what it was asked to do.
vi.mock('../../lib/crypto.js', async (importOriginal) => {
  const actual = await importOriginal<typeof CryptoModule>();
  return { ...actual, hashPassword: vi.fn(actual.hashPassword), verifyPassword: vi.fn(actual.verifyPassword) };
});

const SCRYPT_LOG_N = 11;

/** `scrypt$N$r$p`: the work a hash costs to verify. */
function costOf(hash: string): string {
  return hash.split('$').slice(0, 4).join('$');
}

describe('password work does not tell registered e-mails apart', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database.dispose();
  });

  it('verifies an unknown e-mail against a hash of the same cost as a real account’s', async () => {
    const { user } = await signUp(database.database.db, { email: 'known@example.com', password: 'a long password', company: 'Known' }, { scryptLogN: SCRYPT_LOG_N });
    const verify = vi.mocked(crypto.verifyPassword);
    verify.mockClear();
    await expect(logIn(database.database.db, { email: 'known@example.com', password: 'wrong password' }, undefined, SCRYPT_LOG_N)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(logIn(database.database.db, { email: 'unknown@example.com', password: 'wrong password' }, undefined, SCRYPT_LOG_N)).rejects.toMatchObject({ code: 'unauthorized' });
    const [known, unknown] = verify.mock.calls.map(([, stored]) => costOf(stored));
    expect(known).toBe(costOf(user.password_hash));
    expect(known).toBe(`scrypt$${2 ** SCRYPT_LOG_N}$8$1`);
    expect(unknown).toBe(known);
  });

  it('hashes the password of a signup with a registered e-mail as it would for a new one, and tells the caller', async () => {
    const hash = vi.mocked(crypto.hashPassword);
    hash.mockClear();
    const noticed: string[] = [];
    const options = { scryptLogN: SCRYPT_LOG_N, onExistingAccount: (email: string) => void noticed.push(email) };
    await signUp(database.database.db, { email: 'fresh@example.com', password: 'a long password', company: 'Fresh' }, options);
    await expect(signUp(database.database.db, { email: ' Fresh@Example.com ', password: 'another password', company: 'Again' }, options))
      .rejects.toMatchObject({ code: 'signup_not_completed', status: 422 });
    expect(hash.mock.calls.map(([, logN]) => logN)).toEqual([SCRYPT_LOG_N, SCRYPT_LOG_N]);
    expect(noticed).toEqual(['fresh@example.com']);
  });
});
