import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { runIdempotent, type IdempotencyDeps, type IdempotentResponse } from '../modules/idempotency/idempotency.service.js';

/**
 * The optional `Idempotency-Key` header of the portal's creates: 1–255 visible ASCII characters. Declared in each
 * route's schema, so a malformed key answers 400 like any other bad input.
 */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]+$' })),
});

/**
 * Answers a create through `runIdempotent` when the request carries an `Idempotency-Key` (a repeat gets the stored
 * response with `Idempotent-Replayed: true`), or simply runs it. Call it after the route's own auth checks.
 */
export async function sendIdempotent(
  deps: IdempotencyDeps, request: FastifyRequest, reply: FastifyReply, customerId: string, run: () => Promise<IdempotentResponse>,
): Promise<FastifyReply> {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') {
    const response = await run();
    return reply.status(response.status).send(response.body);
  }
  const response = await runIdempotent(deps, { customerId, key, method: request.method, path: request.url.split('?')[0] ?? request.url, body: request.body }, run);
  if (response.isReplayed) void reply.header('idempotent-replayed', 'true');
  return reply.status(response.status).send(response.body);
}
