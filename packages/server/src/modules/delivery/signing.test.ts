import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import {
  buildSignatureHeaders, decodeSecretKey, generateWebhookSecret, signPayload, validateWebhookSecret,
} from './signing.js';

const nowSeconds = (): number => Math.floor(Date.now() / 1_000);
const body = JSON.stringify({ name: 'Jane Smith', email: 'jane@example.com', eventType: 'lead.captured' });

/** What a receiver does with the standardwebhooks library: verify the raw body against the headers. */
function verifyAsReceiver(secretForLibrary: string, headers: Record<string, string>, rawBody: string): unknown {
  return new Webhook(secretForLibrary).verify(rawBody, headers);
}

describe('signPayload', () => {
  it('reproduces the Standard Webhooks v1 test vector', () => {
    expect(
      signPayload({
        secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
        body: '{"test": 2432232314}',
      }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with every active secret during a rotation, current first', () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const input = { id: 'dlv_rotation0001', timestamp: 1_700_000_000, body };
    const both = signPayload({ ...input, secrets: [current, previous] });
    expect(both.split(' ')).toEqual([signPayload({ ...input, secrets: [current] }), signPayload({ ...input, secrets: [previous] })]);
  });

  it('refuses to sign without a secret', () => {
    expect(() => signPayload({ secrets: [], id: 'dlv_x', timestamp: 1, body })).toThrow(/at least one secret/);
  });
});

describe('generateWebhookSecret', () => {
  it('is whsec_ plus base64 of 32 random bytes, different every time', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(decodeSecretKey(a)).toHaveLength(32);
    expect(a).not.toBe(b);
  });
});

describe('buildSignatureHeaders as a receiver verifies them', () => {
  it('hmac-sha256 mode: verifies with the standardwebhooks library and X-FC-Signature equals webhook-signature', () => {
    const secret = generateWebhookSecret();
    const headers = buildSignatureHeaders('hmac-sha256', { secrets: [secret], id: 'dlv_abc12345', timestamp: nowSeconds(), body });
    expect(verifyAsReceiver(secret, { ...headers }, body)).toEqual(JSON.parse(body));
    expect(headers['X-FC-Signature']).toBe(headers['webhook-signature']);
    expect(headers['webhook-id']).toBe('dlv_abc12345');
  });

  it('shared-secret mode: X-FC-Signature is the configured secret verbatim, and the Standard Webhooks headers still verify', () => {
    const secret = generateWebhookSecret();
    const headers = buildSignatureHeaders('shared-secret', { secrets: [secret], id: 'dlv_abc12345', timestamp: nowSeconds(), body });
    expect(headers['X-FC-Signature']).toBe(secret);
    expect(verifyAsReceiver(secret, { ...headers }, body)).toEqual(JSON.parse(body));
  });

  it('a typed secret is used as raw bytes: a receiver verifies with it base64-encoded (or in raw format)', () => {
    const typed = 'my-crm-shared-secret-2026';
    const headers = buildSignatureHeaders('shared-secret', { secrets: [typed], id: 'dlv_typed0001', timestamp: nowSeconds(), body });
    expect(headers['X-FC-Signature']).toBe(typed);
    expect(verifyAsReceiver(Buffer.from(typed, 'utf8').toString('base64'), { ...headers }, body)).toEqual(JSON.parse(body));
    expect(new Webhook(typed, { format: 'raw' }).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('during a rotation a receiver still holding the old secret verifies, and so does one with the new secret', () => {
    const next = generateWebhookSecret();
    const old = generateWebhookSecret();
    for (const mode of ['hmac-sha256', 'shared-secret'] as const) {
      const headers = buildSignatureHeaders(mode, { secrets: [next, old], id: 'dlv_rotate0001', timestamp: nowSeconds(), body });
      expect(verifyAsReceiver(old, { ...headers }, body)).toEqual(JSON.parse(body));
      expect(verifyAsReceiver(next, { ...headers }, body)).toEqual(JSON.parse(body));
      if (mode === 'shared-secret') expect(headers['X-FC-Signature']).toBe(next);
    }
  });

  it('a receiver rejects a tampered body or a wrong secret', () => {
    const secret = generateWebhookSecret();
    const headers = buildSignatureHeaders('hmac-sha256', { secrets: [secret], id: 'dlv_tamper0001', timestamp: nowSeconds(), body });
    expect(() => verifyAsReceiver(secret, { ...headers }, body.replace('Jane', 'John'))).toThrow();
    expect(() => verifyAsReceiver(generateWebhookSecret(), { ...headers }, body)).toThrow();
  });

  it('any body, including form-encoded and non-ASCII text, verifies byte for byte', () => {
    const secret = generateWebhookSecret();
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => {
        const raw = new URLSearchParams({ name: text, note: `${text}&=+%` }).toString() + JSON.stringify(text);
        const headers = buildSignatureHeaders('hmac-sha256', { secrets: [secret], id: 'dlv_prop00001', timestamp: nowSeconds(), body: raw });
        new Webhook(secret).verify(raw, { ...headers }, { jsonParse: false });
      }),
      { numRuns: 100 },
    );
  });
});

describe('validateWebhookSecret', () => {
  it('accepts generated and reasonable typed secrets unchanged', () => {
    const generated = generateWebhookSecret();
    expect(validateWebhookSecret(generated)).toBe(generated);
    expect(validateWebhookSecret('s3cr3t-value!')).toBe('s3cr3t-value!');
  });

  it.each([
    ['short', 'must be at least 8'],
    ['has a space in it', 'visible ASCII'],
    ['line\r\nbreak-secret', 'visible ASCII'],
    ['whsec_not*base64!!', 'base64'],
    ['whsec_c2hvcnQ=', 'at least 16 bytes'],
    ['x'.repeat(300), 'at most 256'],
  ])('rejects %j with a field error on "secret"', (secret, message) => {
    try {
      validateWebhookSecret(secret);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).errors?.[0]?.field).toBe('secret');
      expect((error as AppError).errors?.[0]?.message).toContain(message);
    }
  });
});
