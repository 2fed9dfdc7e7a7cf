/** What the widget remembers per chatbot between page loads. */
export interface VisitorState {
  visitorId: string;
  conversationId?: string;
  conversationToken?: string;
  /** When the server stops accepting the token unless the visitor writes again (each reply moves it on). */
  conversationExpiresAt?: string;
  isEscalated?: boolean;
  isOpen?: boolean;
}

/** A random URL-safe id: the visitor's, and one per message sent (`clientMessageId`, the same again on retry). */
export function createRandomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Loads and saves the visitor's state in localStorage under one key per chatbot. Storage can be missing or
 * throw (private modes, sandboxed frames, full quota): the widget then works for this page view only.
 */
export function openVisitorStore(chatbotId: string): { state: VisitorState; save(): void } {
  const key = 'fusionchatalyst:' + chatbotId;
  let state: VisitorState | null = null;
  try {
    const parsed = JSON.parse(localStorage.getItem(key) ?? 'null') as VisitorState | null;
    if (parsed && typeof parsed.visitorId === 'string' && /^[A-Za-z0-9_.:-]{1,128}$/.test(parsed.visitorId)) state = parsed;
  } catch {
    // Unreadable or corrupt: start over with a fresh visitor.
  }
  const current: VisitorState = state ?? { visitorId: createRandomId() };
  const save = (): void => {
    try {
      localStorage.setItem(key, JSON.stringify(current));
    } catch {
      // See above: no storage means no persistence, never a broken widget.
    }
  };
  // A conversation whose token has expired cannot be continued or read: start the next one fresh, without asking.
  const expiresAt = Date.parse(current.conversationExpiresAt ?? '');
  if (current.conversationId && !Number.isNaN(expiresAt) && expiresAt <= Date.now()) {
    delete current.conversationId;
    delete current.conversationToken;
    delete current.conversationExpiresAt;
    delete current.isEscalated;
    save();
  }
  if (!state) save();
  return { state: current, save };
}
