import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestContext } from '../test/harness.js';
import { OPENAPI_PATH, UNDOCUMENTED_ROUTES } from './openapi.js';

/**
 * The OpenAPI document (issue 15, item 13) is generated from the route schemas, so it can only be as good as
 * they are: every registered route must say what it is (summary, tags) and what it answers (a 2xx response
 * schema), and name its path parameters — or be listed in UNDOCUMENTED_ROUTES with the reason.
 */
type Operation = {
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema?: unknown; example?: unknown; examples?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown; example?: unknown; examples?: unknown }> }>;
};
type Document = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }> };
};

const toOpenApiPath = (url: string): string => url.replace(/:([A-Za-z]+)/g, '{$1}');

describe('OpenAPI document', () => {
  let ctx: TestContext;
  let document: Document;

  beforeAll(async () => {
    ctx = await createTestApp();
    const response = await ctx.app.inject({ method: 'GET', url: OPENAPI_PATH });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    document = response.json<Document>();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('gives every registered route a summary, tags and a success response schema (or names why not)', () => {
    const missing: string[] = [];
    for (const route of ctx.app.routeTable) {
      const key = `${route.method} ${route.url}`;
      if (key in UNDOCUMENTED_ROUTES) continue;
      const schema = route.schema;
      if (!schema) {
        missing.push(`${key}: no schema`);
        continue;
      }
      if (!schema.summary) missing.push(`${key}: no summary`);
      if (!schema.tags || schema.tags.length === 0) missing.push(`${key}: no tags`);
      const statuses = Object.keys((schema.response as Record<string, unknown> | undefined) ?? {});
      if (!statuses.some((status) => /^2(\d\d|xx)$/.test(status))) missing.push(`${key}: no 2xx response schema`);
      if (route.url.includes(':') && !schema.params) missing.push(`${key}: path parameters without a params schema`);
    }
    expect(missing).toEqual([]);
  });

  it('lists only routes that exist as undocumented', () => {
    const registered = new Set(ctx.app.routeTable.map((route) => `${route.method} ${route.url}`));
    expect(Object.keys(UNDOCUMENTED_ROUTES).filter((key) => !registered.has(key))).toEqual([]);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.version).toBe(ctx.config.version);
  });

  it('documents every API route, and none of the pages and files', () => {
    const documented = new Set(Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)));
    const expected = ctx.app.routeTable
      .filter((route) => !(`${route.method} ${route.url}` in UNDOCUMENTED_ROUTES))
      .map((route) => `${route.method} ${toOpenApiPath(route.url)}`);
    expect(expected.filter((key) => !documented.has(key))).toEqual([]);
    expect([...documented].filter((key) => !expected.includes(key))).toEqual([]);
    for (const key of ['POST /api/public/system-chat', 'GET /api/portal/chatbots', 'POST /api/portal/webhooks', 'POST /api/zapier/hooks', 'GET /api/openapi.json']) {
      expect(documented).toContain(key);
    }
  });

  it('names the security of each API: public, portal session or Bearer key (CSRF on cookie writes), Zapier key, conversation token', () => {
    expect(document.components.securitySchemes).toMatchObject({
      session: { type: 'apiKey', in: 'cookie', name: 'fc_session' },
      csrfToken: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
      apiKey: { type: 'http', scheme: 'bearer' },
      zapierApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      conversationToken: { type: 'apiKey', in: 'header', name: 'X-FC-Conversation-Token' },
    });
    const op = (path: string, method: string): Operation => {
      const found = document.paths[path]?.[method];
      if (!found) throw new Error(`${method} ${path} is not documented`);
      return found;
    };
    expect(op('/api/public/system-chat', 'post').security).toEqual([]);
    expect(op('/api/portal/chatbots', 'get').security).toEqual([{ session: [] }, { apiKey: [] }]);
    expect(op('/api/portal/chatbots', 'post').security).toEqual([{ session: [], csrfToken: [] }, { apiKey: [] }]);
    expect(op('/api/portal/api-keys', 'post').security).toEqual([{ session: [], csrfToken: [] }]);
    expect(op('/api/portal/login', 'post').security).toEqual([]);
    expect(op('/api/zapier/hooks', 'post').security).toEqual([{ zapierApiKey: [] }]);
    expect(op('/api/public/conversations/{id}/messages', 'get').security).toEqual([{ conversationToken: [] }, { conversationTokenQuery: [] }]);
    // Every operation of a secured group says so: nothing under /api/portal or /api/zapier is silently open.
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.security, `${method} ${path}`).toBeDefined();
        if (path.startsWith('/api/zapier/')) expect(operation.security, `${method} ${path}`).toEqual([{ zapierApiKey: [] }]);
      }
    }
  });

  it('shows examples for the main requests and answers, and the problem body for errors', () => {
    const chat = document.paths['/api/public/system-chat']?.post;
    const body = chat?.requestBody?.content['application/json'];
    expect(body?.example ?? body?.examples).toBeTruthy();
    const reply = chat?.responses['200']?.content?.['application/json'];
    expect(reply?.example ?? reply?.examples).toBeTruthy();
    const webhook = document.paths['/api/portal/webhooks']?.post?.requestBody?.content['application/json'];
    expect(webhook?.example ?? webhook?.examples).toBeTruthy();
    expect(document.paths['/api/portal/chatbots']?.get?.responses['4XX']?.content?.['application/problem+json']?.schema).toMatchObject({ properties: { code: { type: 'string' } } });
  });

  it('is served with the same content on repeat and may be cached briefly', async () => {
    const again = await ctx.app.inject({ method: 'GET', url: OPENAPI_PATH });
    expect(again.json()).toEqual(document);
    expect(again.headers['cache-control']).toBe('public, max-age=300');
  });
});
