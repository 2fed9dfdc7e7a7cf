import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * An `onRequest` hook for a route group whose answers carry personal data or secrets (portal data, API keys,
 * CSRF tokens, conversation tokens): neither the browser nor a proxy may keep a copy. Set per group rather than on
 * every response, so static assets and the widget's public look stay cacheable.
 */
export async function preventCaching(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  void reply.header('cache-control', 'no-store');
}
