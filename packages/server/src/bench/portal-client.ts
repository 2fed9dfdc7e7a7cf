import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SystemChatReply, SystemChatRequest } from '@fc/contracts';

/**
 * A small HTTP client for the eval and bench scripts: it drives the same public and portal endpoints the
 * widget and the portal use (contract sections 3 and 6), so what they measure is what a customer gets.
 */

export interface KnowledgeImport {
  faqs: { question: string; answer: string }[];
  documents: { title: string; text: string }[];
}

export interface LeadItem {
  id: string;
  conversationId: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  intent: string | null;
}

export interface PortalClient {
  createChatbot(body: { name: string; settings?: Record<string, unknown> }): Promise<{ id: string }>;
  importKnowledge(chatbotId: string, body: KnowledgeImport): Promise<number>;
  /** Adds one FAQ and returns its id. */
  addFaq(chatbotId: string, faq: { question: string; answer: string }): Promise<string>;
  /** Changes one entry's answer (each change bumps the chatbot's knowledge version). */
  updateAnswer(chatbotId: string, entryId: string, answer: string): Promise<void>;
  /** The knowledge entries of a chatbot as `id → title`. */
  listKnowledgeTitles(chatbotId: string): Promise<Map<string, string>>;
  listLeads(filter: { chatbotId: string; conversationId: string }): Promise<LeadItem[]>;
  /** Imports a website through the portal API and waits until the import has ended. */
  importWebsite(chatbotId: string, body: { url: string; maxPages?: number }, pollMs?: number): Promise<CrawlResult>;
}

export interface CrawlResult {
  id: string;
  status: string;
  stopReason: string | null;
  error: string | null;
  pages: { found: number; fetched: number; unchanged: number; skipped: number; failed: number };
  passages: number;
}

async function requestJson<T>(url: string, init: { method: string; headers?: Record<string, string>; body?: unknown }): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(url, {
    method: init.method,
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T, headers: response.headers };
}

/** Signs a new customer up over HTTP and returns a client acting as its owner (session cookie + CSRF token). */
export async function signUpPortalClient(baseUrl: string, company: string): Promise<PortalClient> {
  const email = `owner-${randomBytes(6).toString('hex')}@example.com`;
  const signup = await requestJson<{ csrfToken: string }>(`${baseUrl}/api/portal/signup`, {
    method: 'POST', body: { email, password: `pw-${randomBytes(12).toString('hex')}`, company },
  });
  const session = signup.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c?.startsWith('fc_session='));
  if (!session) throw new Error('signup set no session cookie');
  const headers = { cookie: session, 'x-csrf-token': signup.body.csrfToken };

  return {
    async createChatbot(body) {
      return (await requestJson<{ id: string }>(`${baseUrl}/api/portal/chatbots`, { method: 'POST', headers, body })).body;
    },
    async importKnowledge(chatbotId, body) {
      const result = await requestJson<{ imported: number }>(`${baseUrl}/api/portal/chatbots/${chatbotId}/knowledge/import`, { method: 'POST', headers, body });
      return result.body.imported;
    },
    async addFaq(chatbotId, faq) {
      return (await requestJson<{ id: string }>(`${baseUrl}/api/portal/chatbots/${chatbotId}/knowledge`, { method: 'POST', headers, body: { kind: 'faq', ...faq } })).body.id;
    },
    async updateAnswer(chatbotId, entryId, answer) {
      await requestJson(`${baseUrl}/api/portal/chatbots/${chatbotId}/knowledge/${entryId}`, { method: 'PATCH', headers, body: { answer } });
    },
    async listKnowledgeTitles(chatbotId) {
      const titles = new Map<string, string>();
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
        const page: { items: { id: string; title: string }[]; nextCursor: string | null } = (
          await requestJson<{ items: { id: string; title: string }[]; nextCursor: string | null }>(`${baseUrl}/api/portal/chatbots/${chatbotId}/knowledge${query}`, { method: 'GET', headers })
        ).body;
        for (const item of page.items) titles.set(item.id, item.title);
        cursor = page.nextCursor;
      } while (cursor);
      return titles;
    },
    async importWebsite(chatbotId, body, pollMs = 100) {
      let crawl = (await requestJson<CrawlResult>(`${baseUrl}/api/portal/chatbots/${chatbotId}/crawls`, { method: 'POST', headers, body })).body;
      while (crawl.status === 'queued' || crawl.status === 'running') {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        crawl = (await requestJson<CrawlResult>(`${baseUrl}/api/portal/chatbots/${chatbotId}/crawls/${crawl.id}`, { method: 'GET', headers })).body;
      }
      return crawl;
    },
    async listLeads(filter) {
      const query = new URLSearchParams(filter).toString();
      return (await requestJson<{ items: LeadItem[] }>(`${baseUrl}/api/portal/leads?${query}`, { method: 'GET', headers })).body.items;
    },
  };
}

/** One visitor message through POST /api/public/system-chat, with its round-trip time. */
export async function sendChatMessage(baseUrl: string, body: SystemChatRequest): Promise<{ reply: SystemChatReply; latencyMs: number }> {
  const startedAt = performance.now();
  const { body: reply } = await requestJson<SystemChatReply>(`${baseUrl}/api/public/system-chat`, { method: 'POST', body });
  return { reply, latencyMs: performance.now() - startedAt };
}

/** The q-quantile (0–1) of a list of numbers (nearest rank); 0 for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
