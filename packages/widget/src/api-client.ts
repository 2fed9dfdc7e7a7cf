import type { ChatMessage, RateRequest, SatisfactionReply, SatisfactionRequest, SystemChatReply, SystemChatRequest, WidgetConfig } from '@fc/contracts';
import { createSseParser, type SseEvent } from './sse-parser.js';

/** A failed API call: HTTP status (0 for a network failure), the problem code and the seconds to wait on 429. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, readonly retryAfterS = 0) {
    super(code);
  }
}

interface ProblemBody {
  status?: number;
  code?: string;
}

/** A conversation's transcript, and whether the visitor may rate it now (a person resolved it). */
export interface Transcript {
  items: ChatMessage[];
  satisfaction?: { canRate: boolean; score: number | null };
}

/** The public chat API, called cross-origin from the host page (no cookies: the conversation token is the credential). */
export interface ChatApi {
  loadConfig(): Promise<WidgetConfig>;
  /** The widget's words in one language other than English (`/widget/i18n/<language>.json`). */
  loadDictionary(language: string): Promise<Record<string, unknown>>;
  sendMessage(body: SystemChatRequest, onDelta: (text: string) => void): Promise<SystemChatReply>;
  rate(conversationId: string, body: RateRequest): Promise<void>;
  rateConversation(conversationId: string, body: SatisfactionRequest): Promise<SatisfactionReply>;
  loadMessages(conversationId: string, token: string): Promise<Transcript>;
  followEvents(conversationId: string, token: string, afterId: string | null, signal: AbortSignal, onMessage: (message: ChatMessage) => void): Promise<void>;
}

async function request(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'omit', mode: 'cors', ...init });
  } catch {
    throw new ApiError(0, 'network');
  }
  if (response.ok) return response;
  let problem: ProblemBody = {};
  try {
    problem = (await response.json()) as ProblemBody;
  } catch {
    // A proxy's HTML error page: the status alone decides what the visitor sees.
  }
  throw new ApiError(response.status, problem.code ?? 'http_' + response.status, Number(response.headers.get('retry-after')) || 0);
}

/** Reads an event stream body to its end, handing each complete event to `onEvent`. */
async function readEvents(response: Response, onEvent: (event: SseEvent) => void): Promise<void> {
  const parse = createSseParser();
  if (!response.body) {
    parse(await response.text()).forEach(onEvent);
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      throw new ApiError(0, 'network');
    }
    if (chunk.done) break;
    parse(decoder.decode(chunk.value, { stream: true })).forEach(onEvent);
  }
}

/** Builds the API client for one server origin and chatbot. */
export function createChatApi(origin: string, chatbotId: string): ChatApi {
  const api = origin + '/api/public/';
  const json = { 'content-type': 'application/json' };
  const conversationUrl = (id: string, what: string): string => api + 'conversations/' + encodeURIComponent(id) + '/' + what;

  return {
    async loadConfig() {
      return (await request(api + 'chatbots/' + encodeURIComponent(chatbotId) + '/widget', {})).json() as Promise<WidgetConfig>;
    },

    async loadDictionary(language) {
      return (await request(origin + '/widget/i18n/' + encodeURIComponent(language) + '.json', {})).json() as Promise<Record<string, unknown>>;
    },

    async sendMessage(body, onDelta) {
      const response = await request(api + 'system-chat', { method: 'POST', headers: { ...json, accept: 'text/event-stream' }, body: JSON.stringify(body) });
      let reply: SystemChatReply | null = null;
      let failure: ApiError | null = null;
      await readEvents(response, ({ event, data }) => {
        if (event === 'delta') onDelta((JSON.parse(data) as { text: string }).text);
        else if (event === 'done') reply = JSON.parse(data) as SystemChatReply;
        else if (event === 'error') {
          // Errors after the stream started (trial ended, token mismatch) arrive as an event, not a status.
          const problem = JSON.parse(data) as ProblemBody;
          failure = new ApiError(problem.status ?? 500, problem.code ?? 'error');
        }
      });
      if (failure) throw failure;
      if (!reply) throw new ApiError(0, 'network');
      return reply;
    },

    async rate(conversationId, body) {
      await request(conversationUrl(conversationId, 'rate'), { method: 'POST', headers: json, body: JSON.stringify(body) });
    },

    async rateConversation(conversationId, body) {
      return (await request(conversationUrl(conversationId, 'satisfaction'), { method: 'POST', headers: json, body: JSON.stringify(body) })).json() as Promise<SatisfactionReply>;
    },

    async loadMessages(conversationId, token) {
      const response = await request(conversationUrl(conversationId, 'messages'), { headers: { 'x-fc-conversation-token': token } });
      return (await response.json()) as Transcript;
    },

    async followEvents(conversationId, token, afterId, signal, onMessage) {
      const query = afterId ? '?after=' + encodeURIComponent(afterId) : '';
      const response = await request(conversationUrl(conversationId, 'events') + query, {
        headers: { 'x-fc-conversation-token': token, accept: 'text/event-stream' }, signal, cache: 'no-store',
      });
      await readEvents(response, ({ event, data }) => {
        if (event === 'message') onMessage(JSON.parse(data) as ChatMessage);
      });
    },
  };
}
