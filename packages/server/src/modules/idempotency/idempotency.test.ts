import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { hashIdempotentRequest, purgeExpiredIdempotencyKeys } from './idempotency.service.js';

// `Idempotency-Key` on the portal's creates (issue 15, item 14).
describe('portal Idempotency-Key', () => {
  let ctx: TestContext;
  let alice: TestAccount;
  let bob: TestAccount;
  let chatbotId: string;
  let keyCounter = 0;
  const newKey = (): string => `key-${Date.now()}-${(keyCounter += 1)}`;

  const post = (account: TestAccount, url: string, payload: unknown, key?: string, extra: Record<string, string> = {}) => ctx.app.inject({
    method: 'POST', url, headers: { ...account.headers, ...(key === undefined ? {} : { 'idempotency-key': key }), ...extra }, payload: payload as Record<string, unknown>,
  });

  const countRows = async (table: 'webhooks' | 'chatbots' | 'api_keys' | 'knowledge_entries', customerId: string): Promise<number> => {
    const rows = await ctx.database.db.selectFrom(table).select('customer_id').where('customer_id', '=', customerId).execute();
    return rows.length;
  };

  beforeAll(async () => {
    ctx = await createTestApp();
    alice = await signUpAccount(ctx.app);
    bob = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, alice, { name: 'Bakery Bot' })).id;
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('answers a repeated webhook create with the stored response and creates one webhook', async () => {
    const key = newKey();
    const body = { url: 'https://hooks.example/in', events: ['lead.captured'] };
    const before = await countRows('webhooks', alice.customerId);
    const first = await post(alice, '/api/portal/webhooks', body, key);
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // Same body with its keys in another order is the same request.
    const again = await post(alice, '/api/portal/webhooks', { events: ['lead.captured'], url: 'https://hooks.example/in' }, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(again.json().secret).toBe(first.json().secret);
    expect(await countRows('webhooks', alice.customerId)).toBe(before + 1);
    // The stored response holds the webhook's secret: it is sealed at rest.
    const stored = await ctx.database.db.selectFrom('idempotency_keys').selectAll().where('customer_id', '=', alice.customerId).where('key', '=', key).executeTakeFirstOrThrow();
    expect(stored.response_body).not.toContain(first.json().secret);
  });

  it('creates one chatbot for identical requests that race', async () => {
    const key = newKey();
    const before = await countRows('chatbots', alice.customerId);
    const replies = await Promise.all([1, 2, 3, 4].map(() => post(alice, '/api/portal/chatbots', { name: 'Racing Bot' }, key)));
    expect(replies.map((r) => r.statusCode)).toEqual([201, 201, 201, 201]);
    expect(new Set(replies.map((r) => r.json().id)).size).toBe(1);
    expect(replies.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(3);
    expect(await countRows('chatbots', alice.customerId)).toBe(before + 1);
  });

  it('answers 409 idempotency_key_reused for the same key with another body or another route', async () => {
    const key = newKey();
    expect((await post(alice, '/api/portal/chatbots', { name: 'First' }, key)).statusCode).toBe(201);
    const otherBody = await post(alice, '/api/portal/chatbots', { name: 'Second' }, key);
    expect(otherBody.statusCode).toBe(409);
    expect(otherBody.headers['content-type']).toContain('application/problem+json');
    expect(otherBody.json()).toMatchObject({ status: 409, code: 'idempotency_key_reused' });
    const otherRoute = await post(alice, '/api/portal/webhooks', { name: 'First' }, key);
    expect([400, 409]).toContain(otherRoute.statusCode);
    const otherRouteValid = await post(alice, '/api/portal/webhooks', { url: 'https://hooks.example/x', events: ['lead.captured'] }, key);
    expect(otherRouteValid.json()).toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('keeps a key 24 hours: an expired one is purged and the request runs again', async () => {
    const key = newKey();
    const first = (await post(alice, '/api/portal/chatbots', { name: 'Expiring Bot' }, key)).json();
    const past = new Date(Date.now() - 25 * 60 * 60 * 1000).toISOString();
    await ctx.database.db.updateTable('idempotency_keys').set({ created_at: past, expires_at: new Date(Date.now() - 60 * 60 * 1000).toISOString() })
      .where('customer_id', '=', alice.customerId).where('key', '=', key).execute();
    const again = await post(alice, '/api/portal/chatbots', { name: 'Expiring Bot' }, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.json().id).not.toBe(first.id);

    await ctx.database.db.updateTable('idempotency_keys').set({ expires_at: past }).where('customer_id', '=', alice.customerId).where('key', '=', key).execute();
    expect(await purgeExpiredIdempotencyKeys(ctx.database.db)).toBeGreaterThanOrEqual(1);
    expect(await ctx.database.db.selectFrom('idempotency_keys').select('key').where('key', '=', key).execute()).toEqual([]);
  });

  it('keeps each customer’s keys apart: the same key and body from another customer creates their own', async () => {
    const key = newKey();
    const mine = (await post(alice, '/api/portal/chatbots', { name: 'Shared Name' }, key)).json();
    const theirs = await post(bob, '/api/portal/chatbots', { name: 'Shared Name' }, key);
    expect(theirs.statusCode).toBe(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.json().id).not.toBe(mine.id);
    const bobsBots = await ctx.app.inject({ method: 'GET', url: '/api/portal/chatbots', headers: bob.headers });
    expect(bobsBots.json().items.map((b: { id: string }) => b.id)).not.toContain(mine.id);
    // And a different body from the other customer is not a reuse of the first customer's key.
    expect((await post(bob, '/api/portal/chatbots', { name: 'Other' }, newKey())).statusCode).toBe(201);
  });

  it('replays an API key create to the same session (the one-time key sealed at rest), never to an API key', async () => {
    const key = newKey();
    const first = await post(alice, '/api/portal/api-keys', { name: 'Zapier' }, key);
    expect(first.statusCode).toBe(201);
    const again = await post(alice, '/api/portal/api-keys', { name: 'Zapier' }, key);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    const stored = await ctx.database.db.selectFrom('idempotency_keys').selectAll().where('customer_id', '=', alice.customerId).where('key', '=', key).executeTakeFirstOrThrow();
    expect(stored.response_body).not.toContain(first.json().key);
    const viaKey = await ctx.app.inject({
      method: 'POST', url: '/api/portal/api-keys', headers: { authorization: `Bearer ${first.json().key}`, 'idempotency-key': key }, payload: { name: 'Zapier' },
    });
    expect(viaKey.statusCode).toBe(403);
    expect(viaKey.body).not.toContain(first.json().key);
  });

  it('replays a knowledge import (JSON and CSV) without importing twice', async () => {
    const url = `/api/portal/chatbots/${chatbotId}/knowledge/import`;
    const before = await countRows('knowledge_entries', alice.customerId);
    const key = newKey();
    const json = { faqs: [{ question: 'Do you bake on Sundays?', answer: 'Yes, from 8 AM.' }] };
    expect((await post(alice, url, json, key)).json()).toEqual({ imported: 1 });
    const again = await post(alice, url, json, key);
    expect(again.json()).toEqual({ imported: 1 });
    expect(again.headers['idempotent-replayed']).toBe('true');
    const csvKey = newKey();
    const csv = 'question,answer\nDo you deliver?,Within 5 miles.\n';
    const csvHeaders = { 'content-type': 'text/csv' };
    const csvFirst = await ctx.app.inject({ method: 'POST', url, headers: { ...alice.headers, ...csvHeaders, 'idempotency-key': csvKey }, payload: csv });
    const csvAgain = await ctx.app.inject({ method: 'POST', url, headers: { ...alice.headers, ...csvHeaders, 'idempotency-key': csvKey }, payload: csv });
    expect(csvFirst.json()).toEqual({ imported: 1 });
    expect(csvAgain.headers['idempotent-replayed']).toBe('true');
    expect(await countRows('knowledge_entries', alice.customerId)).toBe(before + 2);
  });

  it('stores only successes: a refused request can be fixed and sent again with the same key', async () => {
    const key = newKey();
    const refused = await post(alice, '/api/portal/chatbots/bot_doesnotexist1/knowledge/import', { faqs: [{ question: 'Q?', answer: 'A.' }] }, key);
    expect(refused.statusCode).toBe(404);
    const fixed = await post(alice, `/api/portal/chatbots/${chatbotId}/knowledge/import`, { faqs: [{ question: 'Q?', answer: 'A.' }] }, key);
    expect(fixed.statusCode).toBe(200);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
  });

  it('refuses a malformed key with 400 and works as before without one', async () => {
    for (const bad of ['', 'x'.repeat(256), 'has space', 'naïve']) {
      const response = await post(alice, '/api/portal/chatbots', { name: 'Bad Key Bot' }, bad);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    const before = await countRows('chatbots', alice.customerId);
    await post(alice, '/api/portal/chatbots', { name: 'No Key Bot' });
    await post(alice, '/api/portal/chatbots', { name: 'No Key Bot' });
    expect(await countRows('chatbots', alice.customerId)).toBe(before + 2);
  });

  it('hashes method, path and body, whatever the order of the body’s keys', () => {
    const a = hashIdempotentRequest({ method: 'POST', path: '/api/portal/chatbots', body: { name: 'A', settings: { locale: 'en', greeting: 'Hi' } } });
    expect(hashIdempotentRequest({ method: 'post', path: '/api/portal/chatbots', body: { settings: { greeting: 'Hi', locale: 'en' }, name: 'A' } })).toBe(a);
    expect(hashIdempotentRequest({ method: 'POST', path: '/api/portal/webhooks', body: { name: 'A', settings: { locale: 'en', greeting: 'Hi' } } })).not.toBe(a);
    expect(hashIdempotentRequest({ method: 'POST', path: '/api/portal/chatbots', body: { name: 'B', settings: { locale: 'en', greeting: 'Hi' } } })).not.toBe(a);
  });
});
