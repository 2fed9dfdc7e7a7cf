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
/** An embeddings response carries a batch of vectors (32 × 3,072 floats as JSON is about 2 MB): it may be this much larger. */
const EMBEDDING_RESPONSE_FACTOR = 16;
/** Longest vector accepted. */
const MAX_EMBEDDING_DIMS = 8_192;
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

export interface EmbeddingCall {
  baseUrl: string;
  apiKey: string | null;
  timeoutMs?: number | undefined;
  model: string;
  /** Texts to embed, in order. */
  input: string[];
}

export interface EmbeddingResult {
  /** One unit-length vector per input, in input order. */
  vectors: Float32Array[];
  usage: CompletionResult['usage'];
}

export interface LlmProvider {
  complete(call: CompletionCall): Promise<CompletionResult>;
  /** `POST {baseUrl}/embeddings` (OpenAI-compatible). */
  embed(call: EmbeddingCall): Promise<EmbeddingResult>;
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
  // Embeddings responses report prompt tokens only.
  const { prompt_tokens: prompt, completion_tokens: completion = 0 } = payload.usage;
  if (typeof prompt !== 'number' || typeof completion !== 'number' || !Number.isFinite(prompt) || !Number.isFinite(completion)) return null;
  return { promptTokens: Math.max(0, Math.round(prompt)), completionTokens: Math.max(0, Math.round(completion)) };
}

/** The vectors of an embeddings response (`data[].embedding`, ordered by `index`), scaled to unit length. */
function readEmbeddings(payload: unknown, expected: number): Float32Array[] {
  if (!isRecord(payload) || !Array.isArray(payload.data)) throw new LlmError('the embeddings response has no data array');
  const items = payload.data.filter(isRecord).map((item, position) => ({ index: typeof item.index === 'number' ? item.index : position, embedding: item.embedding }));
  if (items.length !== expected) throw new LlmError(`the provider returned ${items.length} embeddings for ${expected} texts`);
  items.sort((a, b) => a.index - b.index);
  let dims = -1;
  return items.map(({ embedding }) => {
    if (!Array.isArray(embedding) || embedding.length === 0 || embedding.length > MAX_EMBEDDING_DIMS || !embedding.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new LlmError('an embedding is not a list of numbers');
    }
    if (dims !== -1 && embedding.length !== dims) throw new LlmError('the embeddings differ in length');
    dims = embedding.length;
    const vector = Float32Array.from(embedding as number[]);
    let norm = 0;
    for (const v of vector) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] ?? 0) / norm;
    return vector;
  });
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

  /**
   * One POST to `{baseUrl}{path}` through the guarded pool: the URL checked, a time limit over the whole exchange,
   * a non-2xx status an error, the body dropped afterwards whatever `read` did with it.
   */
  async function post<T>(
    target: { baseUrl: string; path: string; apiKey: string | null; timeoutMs?: number | undefined }, body: Record<string, unknown>, accept: string,
    read: (response: { body: AsyncIterable<Buffer>; contentType: string }) => Promise<T>,
  ): Promise<T> {
    const check = checkWebhookUrl(`${target.baseUrl.replace(/\/+$/, '')}${target.path}`, guard);
    if (!check.ok) throw new LlmError(`the provider URL ${check.message}`);
    const timeoutMs = target.timeoutMs ?? LLM_TIMEOUT_MS;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new LlmError(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      const response = await agent.request({
        origin: check.url.origin,
        path: `${check.url.pathname}${check.url.search}`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept,
          'user-agent': 'FusionChatalyst',
          ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      try {
        if (response.statusCode < 200 || response.statusCode >= 300) throw new LlmError(`the provider answered HTTP ${response.statusCode}`);
        return await read({ body: response.body as AsyncIterable<Buffer>, contentType: String(response.headers['content-type'] ?? '') });
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

  function complete(call: CompletionCall): Promise<CompletionResult> {
    const isStreaming = call.onText !== undefined;
    const target = { baseUrl: call.baseUrl, path: '/chat/completions', apiKey: call.apiKey, timeoutMs: call.timeoutMs };
    return post(target, { ...call.body, stream: isStreaming }, isStreaming ? 'text/event-stream' : 'application/json', async ({ body, contentType }) => {
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
    });
  }

  function embed(call: EmbeddingCall): Promise<EmbeddingResult> {
    const target = { baseUrl: call.baseUrl, path: '/embeddings', apiKey: call.apiKey, timeoutMs: call.timeoutMs };
    return post(target, { model: call.model, input: call.input }, 'application/json', async ({ body }) => {
      const payload = await readJson(body, maxResponseBytes * EMBEDDING_RESPONSE_FACTOR);
      return { vectors: readEmbeddings(payload, call.input.length), usage: readUsage(payload) };
    });
  }

  return { complete, embed, close: () => agent.close() };
}
