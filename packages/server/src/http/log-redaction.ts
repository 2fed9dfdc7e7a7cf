import type { FastifyRequest } from 'fastify';

/** Query parameters that carry a credential (the conversation token of `/messages` and `/events`). */
const SECRET_QUERY_PARAMS = new Set(['token']);
const REDACTED = '[redacted]';

function decodeName(raw: string): string | null {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * A request URL as logs may show it: the value of every credential query parameter is replaced, whatever the
 * spelling of its name (`token`, `%74oken`), and a name that does not decode is redacted too, to be safe.
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return url;
  const query = url.slice(queryStart + 1).split('&').map((part) => {
    const equals = part.indexOf('=');
    if (equals === -1) return part;
    const name = decodeName(part.slice(0, equals));
    return name === null || SECRET_QUERY_PARAMS.has(name.toLowerCase()) ? `${part.slice(0, equals)}=${REDACTED}` : part;
  });
  return `${url.slice(0, queryStart)}?${query.join('&')}`;
}

/**
 * Fastify's request log serializer with the URL redacted: conversation tokens may travel in the SSE URL (an
 * EventSource cannot send headers), and a credential must never reach the logs.
 */
export function serializeRequestForLog(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
