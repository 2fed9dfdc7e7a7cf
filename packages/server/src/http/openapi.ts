import swagger from '@fastify/swagger';
import { Problem } from '@fc/contracts';
import { CloneType, Type, type ObjectOptions, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import type { FastifySchema, RouteOptions } from 'fastify';
import type { AppConfig } from '../config.js';
import { SESSION_COOKIE } from './auth.js';
import type { App } from './types.js';

/** Where the generated OpenAPI document is served (the portal's Developers page renders it). */
export const OPENAPI_PATH = '/api/openapi.json';
const OPENAPI_CACHE_CONTROL = 'public, max-age=300';

/**
 * Routes the document leaves out on purpose, with the reason: they are pages, scripts or files, not API.
 * `openapi.test.ts` fails for any other route that has no summary, tags or response schema.
 */
export const UNDOCUMENTED_ROUTES: Readonly<Record<string, string>> = {
  'GET /*': 'the portal’s static files and its single-page-app fallback (HTML)',
  'OPTIONS /api/public/*': 'CORS preflights, answered by the public routes’ hook',
  'GET /widget.js': 'the widget script (JavaScript for <script> tags, not an API)',
  'GET /widget.:hash.js': 'the versioned widget script',
  'GET /widget/i18n/:language.json': 'the widget’s own words in another language (a static asset the widget script fetches)',
  'GET /demo': 'the demo host page (HTML)',
  'GET /status': 'the public status page (HTML)',
  'GET /site/site.css': 'a stylesheet of the site pages',
  'GET /site/status.js': 'the status page’s script',
};

/** The security scheme names routes use in `schema.security`. */
export const SECURITY = {
  /** Portal session cookie (reads) — or an API key as a Bearer token. */
  portalRead: [{ session: [] }, { apiKey: [] }],
  /** A cookie-authenticated write must echo the session's CSRF token; a Bearer request needs none. */
  portalWrite: [{ session: [], csrfToken: [] }, { apiKey: [] }],
  /** Only a portal session may do this (managing API keys, the password, cancelling): an API key gets 403 `session_required`. */
  sessionOnly: [{ session: [], csrfToken: [] }],
  zapier: [{ zapierApiKey: [] }],
  /** The conversation token from a system-chat reply, as a header or (for EventSource, which cannot send headers) the `token` query. */
  conversationToken: [{ conversationToken: [] }, { conversationTokenQuery: [] }],
  none: [],
} as const satisfies Record<string, FastifySchema['security']>;

const SECURITY_SCHEMES = {
  session: {
    type: 'apiKey', in: 'cookie', name: SESSION_COOKIE,
    description: 'The portal’s httpOnly session cookie, set by `POST /api/portal/signup` and `POST /api/portal/login`.',
  },
  csrfToken: {
    type: 'apiKey', in: 'header', name: 'X-CSRF-Token',
    description: 'With the session cookie, every request that changes something carries the `csrfToken` that signup, login and `GET /api/portal/me` answer.',
  },
  apiKey: {
    type: 'http', scheme: 'bearer', bearerFormat: 'API key',
    description: 'An API key from Settings → Account (`Authorization: Bearer <key>`). A `read` key may only make GET requests (others answer 403 `read_only_key`); keys are created and revoked from a portal session only.',
  },
  zapierApiKey: {
    type: 'apiKey', in: 'header', name: 'X-API-Key',
    description: 'The API key the Zapier add-on sends (Settings → Integrations).',
  },
  conversationToken: {
    type: 'apiKey', in: 'header', name: 'X-FC-Conversation-Token',
    description: 'The `conversationToken` of a system-chat reply: it alone lets a visitor continue, read, follow or rate that conversation. It expires 30 days after the visitor’s last message.',
  },
  conversationTokenQuery: {
    type: 'apiKey', in: 'query', name: 'token',
    description: 'The same conversation token as a query parameter, for EventSource clients that cannot send headers.',
  },
} as const;

const TAGS = [
  { name: 'Public', description: 'Called from visitors’ browsers by the widget; no login. CORS follows each chatbot’s allowed websites; rate-limited per visitor and per address.' },
  { name: 'Status', description: 'Uptime probes and the status page’s history.' },
  { name: 'Auth', description: 'Sign-up, login, logout and password reset: the portal routes reachable without a session.' },
  { name: 'Account', description: 'The signed-in account: profile, plan, password, sessions and API keys.' },
  { name: 'Chatbots', description: 'Chatbots and their settings.' },
  { name: 'Install', description: 'Putting the chat on a website.' },
  { name: 'Knowledge', description: 'A chatbot’s FAQs and documents, and bulk import (JSON or CSV).' },
  { name: 'Conversations', description: 'Conversations, leads (with CSV export) and escalations.' },
  { name: 'Inbox', description: 'Human handoff: taking a conversation over, replying, handing back, resolving; a live stream of the inbox.' },
  { name: 'Training', description: 'The self-training loop: the thumbs-down review queue and suggested wordings.' },
  { name: 'Webhooks', description: 'Outbound webhooks, their delivery log, re-send and recovery.' },
  { name: 'Integrations', description: 'Google Sheets destinations and the account’s Zapier subscriptions.' },
  { name: 'Stats', description: 'The dashboard’s daily counts.' },
  { name: 'Zapier', description: 'The REST-hook API the Zapier add-on calls, authenticated by `X-API-Key`.' },
  { name: 'Meta', description: 'This document.' },
];

const DESCRIPTION = [
  'FusionChatalyst’s HTTP API, generated from the schemas the server validates requests with.',
  '',
  '- **Public** routes are what the widget calls from visitors’ browsers.',
  '- **Portal** routes (`/api/portal/*`) are the portal’s own API: a session cookie (writes also send `X-CSRF-Token`) or `Authorization: Bearer <API key>`.',
  '- **Zapier** routes (`/api/zapier/*`) take `X-API-Key`.',
  '',
  'Errors are `application/problem+json` (RFC 9457) with a stable `code`. Lists answer `{ items, nextCursor }` and take `?limit=&cursor=`. Times are ISO 8601 UTC with a `Z`.',
].join('\n');

/** Documentation-only additions a route cannot express in its runtime schema. */
export interface OpenApiExtras {
  /** Request bodies by content type, for a body the handler parses and validates itself (JSON or CSV). */
  body?: { description?: string; content: Record<string, { schema: TSchema }> };
}

/** The schema with `examples` (JSON Schema's annotation: validation ignores it; the document shows it). */
export function withExamples<T extends TSchema>(schema: T, examples: readonly unknown[]): T {
  return CloneType(schema, { examples: [...examples] });
}

/**
 * An object schema that documents its fields but lets any other field through when serialising: for answers
 * that had no response schema before, so documenting them cannot drop a field a client reads.
 */
export function OpenObject<T extends TProperties>(properties: T, options: ObjectOptions = {}): TObject<T> {
  return Type.Object(properties, { ...options, additionalProperties: true });
}

/** A Server-Sent Events answer (the handler writes the stream itself; nothing is serialised). */
export function eventStreamResponse(description: string): { description: string; content: { 'text/event-stream': { schema: TSchema } } } {
  return { description, content: { 'text/event-stream': { schema: Type.String({ description }) } } };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the OpenAPI document adds to the route's schema without changing its validation or serialisation. */
    openapi?: OpenApiExtras;
  }
}

const ProblemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

type ResponseMap = Record<string, unknown>;

/** The security a route group gets unless the route names its own. */
function defaultSecurity(method: string, url: string): FastifySchema['security'] {
  if (url.startsWith('/api/zapier/')) return SECURITY.zapier;
  if (url.startsWith('/api/portal/')) return ['GET', 'HEAD'].includes(method) ? SECURITY.portalRead : SECURITY.portalWrite;
  return SECURITY.none;
}

/**
 * Turns a route's runtime schema into its documented form, without touching the route itself: hides what is
 * not API, adds the group's security, the problem responses every route can answer and the route's
 * documentation-only extras.
 */
function documentRoute({ schema, url, route }: { schema: FastifySchema | undefined; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  const methods = [route.method].flat();
  if (methods.every((method) => `${method} ${url}` in UNDOCUMENTED_ROUTES)) return { schema: { ...schema, hide: true }, url };
  const method = methods[0] ?? 'GET';
  const extras = route.config?.openapi;
  const responses: ResponseMap = { ...(schema?.response as ResponseMap | undefined) };
  if (!Object.keys(responses).some((status) => status.startsWith('4'))) {
    responses['4xx'] = ProblemResponse('The request was refused: `code` says why (`validation_failed` lists the fields in `errors`). 401 without valid credentials, 402 when the account’s trial has ended, 404 for ids that do not exist or are not yours, 429 with `Retry-After` when rate-limited.');
  }
  if (!Object.keys(responses).some((status) => status.startsWith('5'))) {
    responses['5xx'] = ProblemResponse('503 with `Retry-After` while the database is briefly out of reach; never a stack trace.');
  }
  const body = extras?.body ?? schema?.body;
  return {
    url,
    schema: {
      ...schema,
      ...(body ? { body } : {}),
      response: responses,
      security: schema?.security ?? defaultSecurity(method, url),
    },
  };
}

/**
 * Registers @fastify/swagger. Call it before any route: it collects routes in an `onRoute` hook, so a route
 * registered earlier would be missing from the document.
 */
export async function registerOpenApi(app: App, config: AppConfig): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'FusionChatalyst API', version: config.version, description: DESCRIPTION },
      ...(config.publicUrl ? { servers: [{ url: config.publicUrl }] } : {}),
      tags: TAGS,
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: documentRoute,
  });
}

/** GET /api/openapi.json: the document, generated once from the registered routes. */
export function registerOpenApiRoute(app: App): void {
  app.get(OPENAPI_PATH, {
    schema: {
      summary: 'This OpenAPI 3.1 document',
      description: 'Generated from the schemas the server validates requests with; the portal’s Developers page renders it.',
      tags: ['Meta'],
      security: SECURITY.none,
      response: { 200: Type.Unknown({ description: 'An OpenAPI 3.1 document.' }) },
    },
  }, async (_request, reply) => {
    void reply.header('cache-control', OPENAPI_CACHE_CONTROL);
    return app.swagger();
  });
}
