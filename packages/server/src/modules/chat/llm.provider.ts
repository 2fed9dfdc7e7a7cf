import { Agent } from 'undici';
import { checkWebhookUrl, createGuardedLookup, type ResolveAllFn } from '../delivery/url-guard.js';

/**
 * The transport to a chatbot's OpenAI-compatible provider (contract section 7): hosted APIs, Ollama, vLLM,
 * llama.cpp — anything that speaks `POST {baseUrl}/chat/completions`. One connection pool for every chatbot;
 * every socket resolves through the SSRF guard; a time limit covers the whole answer, streaming included; the
 * body is read up to a byte limit. What is asked and what the answer means is the callers' business
 * (llm.client.ts phrases, llm.understanding.ts understands).
 */

/** Total time for one call, streaming included, when the chatbot's settings do not say. */
export const LLM_TIMEOUT_MS = 12_000;
/** Bytes read from the provider before the call is given up. */
export const LLM_MAX_RESPONSE_BYTES = 256 * 1024;
const CONNECTIONS_PER_ORIGIN = 16;
const KEEP_ALIVE_TIMEOUT_MS = 10_000;

export interface ChatCompletionMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmProviderOptions {
  /** FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: a provider on a private or loopback address (self-hosted Ollama) is allowed. */
  allowPrivate: boolean;
  maxResponseBytes?: number;
  /** Overrides DNS resolution (tests). */
  resolve?: ResolveAllFn;
}

export interface CompletionCall {
  baseUrl: string;
  apiKey: string | null;
  timeoutMs?: number | undefined;
  /** The request body (model, messages, limits, response format…); `stream` follows from `onText`. */
  body: Record<string, unknown>;
  /** Streams the answer's text pieces as they arrive (asks the provider for Server-Sent Events). */
  onText?: ((piece: string) => void) | undefined;
}

export interface CompletionResult {
  /** `choices[0].message.content`, or the streamed pieces joined; null when the provider sent none. */
  content: string | null;
  /** The arguments of the first tool call, for providers that answer a structured request with one. */
  toolArguments: string | null;
  /** Token counts the provider reported (`usage`), or null. */
  usage: { promptTokens: number; completionTokens: number } | null;
}

export interface LlmProvider {
  complete(call: CompletionCall): Promise<CompletionResult>;
  /** Closes pooled connections to providers. */
  close(): Promise<void>;
}

export class LlmError extends Error {
  override readonly name = 'LlmError';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readChoice(payload: unknown, part: 'message' | 'delta'): Record<string, unknown> | null {
  if (!isRecord(payload) || !Array.isArray(payload.choices)) return null;
  const choice: unknown = payload.choices[0];
  if (!isRecord(choice)) return null;
  const holder = choice[part];
  return isRecord(holder) ? holder : null;
}

function readChoiceText(payload: unknown, part: 'message' | 'delta'): string | null {
  const holder = readChoice(payload, part);
  return holder && typeof holder.content === 'string' ? holder.content : null;
}

function readToolArguments(payload: unknown): string | null {
  const holder = readChoice(payload, 'message');
  const calls = holder?.tool_calls;
  if (!Array.isArray(calls)) return null;
  const call: unknown = calls[0];
  if (!isRecord(call) || !isRecord(call.function)) return null;
  return typeof call.function.arguments === 'string' ? call.function.arguments : null;
}

function readUsage(payload: unknown): CompletionResult['usage'] {
  if (!isRecord(payload) || !isRecord(payload.usage)) return null;
  const { prompt_tokens: prompt, completion_tokens: completion } = payload.usage;
  if (typeof prompt !== 'number' || typeof completion !== 'number' || !Number.isFinite(prompt) || !Number.isFinite(completion)) return null;
  return { promptTokens: Math.max(0, Math.round(prompt)), completionTokens: Math.max(0, Math.round(completion)) };
}

async function readLimited(body: AsyncIterable<Buffer>, maxBytes: number, onChunk: (chunk: Buffer) => boolean | void): Promise<void> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (received > maxBytes) throw new LlmError(`the response is larger than ${maxBytes} bytes`);
    if (onChunk(chunk) === true) return;
  }
}

/** Reads `data:` lines of an OpenAI-style event stream until `[DONE]` or the end of the body. */
async function readEventStream(body: AsyncIterable<Buffer>, maxBytes: number, emit: (text: string) => void): Promise<CompletionResult['usage']> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let isDone = false;
  let usage: CompletionResult['usage'] = null;
  const handleLine = (raw: string): void => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line.startsWith('data:')) return; // comments (": keep-alive"), event names, ids
    const data = line.slice('data:'.length).trim();
    if (data === '[DONE]') {
      isDone = true;
      return;
    }
    if (data === '') return;
    const payload: unknown = JSON.parse(data);
    if (isRecord(payload) && payload.error !== undefined) throw new LlmError('the provider reported an error in the stream');
    usage = readUsage(payload) ?? usage;
    const delta = readChoiceText(payload, 'delta');
    if (delta) emit(delta);
  };
  await readLimited(body, maxBytes, (chunk) => {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0 && !isDone) {
      handleLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
    return isDone;
  });
  if (!isDone && buffer.trim() !== '') handleLine(buffer);
  return usage;
}

async function readJson(body: AsyncIterable<Buffer>, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  await readLimited(body, maxBytes, (chunk) => {
    chunks.push(chunk);
  });
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export function createLlmProvider(options: LlmProviderOptions): LlmProvider {
  const guard = { allowPrivate: options.allowPrivate };
  const maxResponseBytes = options.maxResponseBytes ?? LLM_MAX_RESPONSE_BYTES;
  const agent = new Agent({
    connections: CONNECTIONS_PER_ORIGIN,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // The provider URL is customer-supplied: every socket resolves through the SSRF guard and connects only
    // to the addresses it checked. Redirects are never followed (undici's request does not).
    connect: { lookup: createGuardedLookup(options.resolve ? { ...guard, resolve: options.resolve } : guard) },
  });

  async function complete(call: CompletionCall): Promise<CompletionResult> {
    const check = checkWebhookUrl(`${call.baseUrl.replace(/\/+$/, '')}/chat/completions`, guard);
    if (!check.ok) throw new LlmError(`the provider URL ${check.message}`);
    const isStreaming = call.onText !== undefined;
    const timeoutMs = call.timeoutMs ?? LLM_TIMEOUT_MS;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new LlmError(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      const response = await agent.request({
        origin: check.url.origin,
        path: `${check.url.pathname}${check.url.search}`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: isStreaming ? 'text/event-stream' : 'application/json',
          'user-agent': 'FusionChatalyst',
          ...(call.apiKey ? { authorization: `Bearer ${call.apiKey}` } : {}),
        },
        body: JSON.stringify({ ...call.body, stream: isStreaming }),
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = response.body as AsyncIterable<Buffer>;
      try {
        if (response.statusCode < 200 || response.statusCode >= 300) throw new LlmError(`the provider answered HTTP ${response.statusCode}`);
        const contentType = String(response.headers['content-type'] ?? '');
        // A provider that ignores `stream: true` (or streams unasked) is read in whichever form it sent.
        if (contentType.includes('text/event-stream')) {
          const pieces: string[] = [];
          const usage = await readEventStream(body, maxResponseBytes, (text) => {
            pieces.push(text);
            call.onText?.(text);
          });
          return { content: pieces.join(''), toolArguments: null, usage };
        }
        const payload = await readJson(body, maxResponseBytes);
        const content = readChoiceText(payload, 'message');
        if (content !== null) call.onText?.(content);
        return { content, toolArguments: readToolArguments(payload), usage: readUsage(payload) };
      } finally {
        // Unread or half-read bodies are dropped with their socket; undici reports that as an 'error' event.
        if (!response.body.destroyed) response.body.on('error', () => undefined).destroy();
      }
    } catch (error) {
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      clearTimeout(timer);
    }
  }

  return { complete, close: () => agent.close() };
}
