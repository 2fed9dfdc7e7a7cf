/**
 * Outbound event types and the webhook envelope (contract section 4). `lead.captured` is sent once per
 * conversation, when the lead-capture flow ends or the conversation goes idle with a contact; `lead.updated`
 * (same payload) follows any later change of the lead's name, email, phone or intent. `conversation.rated` (our
 * addition; the contract is silent on it) is sent when a visitor rates a conversation a person resolved (1–5).
 */
export const EVENT_TYPES = [
  'conversation.started',
  'lead.captured',
  'lead.updated',
  'escalation.created',
  'conversation.ended',
  'message.rated',
  'escalation.resolved',
  'conversation.rated',
  'webhook.test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Keys every delivery carries; field mappings can never override them. */
export const ENVELOPE_KEYS = ['eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId'] as const;

export interface WebhookEnvelope {
  eventType: EventType;
  eventTimestamp: string;
  eventId: string;
  customerId: string;
  chatbotId: string | null;
  conversationId: string | null;
}

/**
 * What an event records about the moment it happened: the objects field mappings read from
 * (`lead.email`, `chatbot.name`, `conversation.transcript`, …). Stored with the event, so a replay days
 * later sends what was true then.
 */
export interface EventContext {
  customer: { id: string; name: string };
  chatbot: { id: string; name: string } | null;
  conversation?: {
    id: string;
    intent: string | null;
    startedAt: string;
    messageCount: number;
    firstMessage: string | null;
    /** One line per message, oldest first: `Visitor: …`, `Bot: …`, `Agent: …`. */
    transcript?: readonly string[];
    summary?: string | null;
  };
  visitor?: { id: string; pageUrl: string | null; referrer: string | null; locale: string | null };
  lead?: { id: string | null; name: string | null; email: string | null; phone: string | null; intent: string | null };
  escalation?: { id: string; reason: string; lastMessage: string | null; status?: string };
  rating?: { rating: 'up' | 'down'; comment: string | null; question: string | null; answer: string | null };
  /** `conversation.rated`: the visitor's satisfaction after a person resolved the conversation (1–5), and that person's public name. */
  satisfaction?: { score: number; comment: string | null; agentName: string | null };
}
