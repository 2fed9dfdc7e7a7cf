import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, openSecret, sealSecret, verifyPassword } from './crypto.js';

describe('sealed secrets', () => {
  const key = randomBytes(32);

  it('round-trips and never stores the plaintext', () => {
    const sealed = sealSecret(key, 'whsec_top-secret', 'webhook:wh_1');
    expect(sealed).not.toContain('top-secret');
    expect(openSecret(key, sealed, 'webhook:wh_1')).toBe('whsec_top-secret');
  });

  it('refuses a tampered value, another key, or another row’s context', () => {
    const sealed = sealSecret(key, 'secret', 'webhook:wh_1');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => openSecret(key, `v1:${raw.toString('base64')}`, 'webhook:wh_1')).toThrow();
    expect(() => openSecret(randomBytes(32), sealed, 'webhook:wh_1')).toThrow();
    expect(() => openSecret(key, sealed, 'webhook:wh_2')).toThrow();
  });
});

describe('passwords', () => {
  it('verifies the right password only', async () => {
    const hash = await hashPassword('correct horse', 10);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('wrong horse', hash)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999999$8$1$AA==$AA==')).toBe(false);
  });
});
