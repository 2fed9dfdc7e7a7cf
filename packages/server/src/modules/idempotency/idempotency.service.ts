import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { openSecret, sealSecret } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { addMs, nowIso } from '../../lib/time.js';

/** How long a key and its response are kept: a repeat within this time answers the stored response. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A repeat that arrives while the first request is still running waits this long for its answer, then gets 409. */
const IDEMPOTENCY_WAIT_MS = 5_000;
const IDEMPOTENCY_POLL_MS = 50;
/** A claim with no answer after this long belongs to a process that died mid-request: the next repeat takes it over. */
const IDEMPOTENCY_STALE_CLAIM_MS = 2 * 60 * 1000;

export interface IdempotencyDeps {
  db: Kysely<Database>;
  /** FC_SECRET_KEY: stored responses are sealed (they can hold a one-time API key or a webhook secret). */
  secretKey: Buffer;
}

export interface IdempotentRequest {
  customerId: string;
  key: string;
  method: string;
  path: string;
  /** The parsed body (JSON) or the raw text (CSV). */
  body: unknown;
}

export interface IdempotentResponse {
  status: number;
  body: unknown;
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` count as the same body. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 of method, path and body: what "the same request" means for a repeated key. */
export function hashIdempotentRequest(request: Pick<IdempotentRequest, 'method' | 'path' | 'body'>): string {
  const body = typeof request.body === 'string' ? request.body : canonicalJson(request.body ?? null);
  return createHash('sha256').update(`${request.method.toUpperCase()} ${request.path}\n${body}`).digest('base64url');
}

const sealContext = (customerId: string, key: string): string => `idempotency_keys:${JSON.stringify([customerId, key])}:response_body`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Deletes every key past its 24 hours (cheap: an index on `expires_at`); called with each keyed request. */
export async function purgeExpiredIdempotencyKeys(db: Kysely<Database>, now = nowIso()): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

async function claimKey(db: Kysely<Database>, request: IdempotentRequest, requestHash: string): Promise<boolean> {
  const now = nowIso();
  const inserted = await db.insertInto('idempotency_keys')
    .values({ customer_id: request.customerId, key: request.key, request_hash: requestHash, status_code: null, response_body: null, created_at: now, expires_at: addMs(now, IDEMPOTENCY_TTL_MS) })
    .onConflict((oc) => oc.columns(['customer_id', 'key']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

async function releaseKey(db: Kysely<Database>, request: IdempotentRequest, requestHash: string): Promise<void> {
  await db.deleteFrom('idempotency_keys')
    .where('customer_id', '=', request.customerId).where('key', '=', request.key).where('request_hash', '=', requestHash).where('status_code', 'is', null)
    .execute();
}

/**
 * Runs a create at most once per customer and `Idempotency-Key` within 24 hours. The first request claims the key
 * (a primary key on customer + key, so racing duplicates cannot both claim it) and stores its 2xx response sealed;
 * a repeat with the same method, path and body answers that response (`isReplayed`), waiting for it while the first
 * request still runs; the same key with another request answers 409 `idempotency_key_reused`. A request that fails
 * (4xx, 5xx, thrown) releases the key, so the client may fix it and send it again with the same key.
 */
export async function runIdempotent(
  deps: IdempotencyDeps, request: IdempotentRequest, run: () => Promise<IdempotentResponse>,
): Promise<IdempotentResponse & { isReplayed: boolean }> {
  const { db } = deps;
  const requestHash = hashIdempotentRequest(request);
  await purgeExpiredIdempotencyKeys(db);
  const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
  for (;;) {
    if (await claimKey(db, request, requestHash)) break;
    const row = await db.selectFrom('idempotency_keys').selectAll().where('customer_id', '=', request.customerId).where('key', '=', request.key).executeTakeFirst();
    const now = nowIso();
    if (!row) continue;
    if (row.expires_at <= now || (row.status_code === null && addMs(row.created_at, IDEMPOTENCY_STALE_CLAIM_MS) <= now)) {
      await db.deleteFrom('idempotency_keys').where('customer_id', '=', row.customer_id).where('key', '=', row.key).where('created_at', '=', row.created_at).execute();
      continue;
    }
    if (row.request_hash !== requestHash) {
      throw new AppError('idempotency_key_reused', 'This Idempotency-Key was already used for a different request: use a new key for a new request.');
    }
    if (row.status_code !== null && row.response_body !== null) {
      const body = JSON.parse(openSecret(deps.secretKey, row.response_body, sealContext(request.customerId, request.key))) as unknown;
      return { status: row.status_code, body, isReplayed: true };
    }
    if (Date.now() >= deadline) throw new AppError('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed: try again in a moment.');
    await sleep(IDEMPOTENCY_POLL_MS);
  }

  let response: IdempotentResponse;
  try {
    response = await run();
  } catch (error) {
    await releaseKey(db, request, requestHash);
    throw error;
  }
  if (response.status >= 200 && response.status < 300) {
    const sealed = sealSecret(deps.secretKey, JSON.stringify(response.body ?? null), sealContext(request.customerId, request.key));
    await db.updateTable('idempotency_keys').set({ status_code: response.status, response_body: sealed })
      .where('customer_id', '=', request.customerId).where('key', '=', request.key).where('request_hash', '=', requestHash)
      .execute();
  } else {
    await releaseKey(db, request, requestHash);
  }
  return { ...response, isReplayed: false };
}
