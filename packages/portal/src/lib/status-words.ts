/**
 * One vocabulary for statuses, used by every page: the dashboard, the webhook page and its delivery log say the
 * same words for the same thing, and the inbox and the conversation pages the same words for a conversation.
 */

export type HandoffState = 'bot' | 'waiting_for_human' | 'human' | 'resolved';

export interface StatusWord {
  label: string;
  /** The StatusBadge colour key. */
  badge: string;
}

/** A delivery's status (contract section 6) in words: the log, its filter, "Send test" and the health line use these. */
export const DELIVERY_STATUS: Record<string, StatusWord> = {
  pending: { label: 'Queued', badge: 'pending' },
  retrying: { label: 'Retrying', badge: 'retrying' },
  succeeded: { label: 'Delivered', badge: 'succeeded' },
  failed: { label: 'Failed', badge: 'failed' },
};

export function deliveryStatusWord(status: string): StatusWord {
  return DELIVERY_STATUS[status] ?? { label: status, badge: status };
}

/** Who answers a conversation now (the handoff state), as the inbox and the conversation pages say it. */
export const HANDOFF_STATE: Record<HandoffState, StatusWord> = {
  waiting_for_human: { label: 'Waiting for a person', badge: 'failing' },
  human: { label: 'With a person', badge: 'pending' },
  bot: { label: 'Back with the bot', badge: 'ended' },
  resolved: { label: 'Resolved', badge: 'resolved' },
};

/** Whether a conversation is still going (a visitor may write) or went idle. "Open" is kept for escalations. */
export const CONVERSATION_STATUS: Record<string, StatusWord> = {
  open: { label: 'Active', badge: 'pending' },
  ended: { label: 'Ended', badge: 'ended' },
};

export const ESCALATION_STATUS: Record<string, StatusWord> = {
  open: { label: 'Open', badge: 'open' },
  resolved: { label: 'Resolved', badge: 'resolved' },
};

/**
 * A conversation's outcome badges: lead, then where the escalation stands (from the live handoff state, so a
 * resolved one says "Resolved", never "Escalated · Open"), then active or ended.
 */
export function conversationOutcome(c: { status: string; escalated: boolean; leadId: string | null; handoffState?: string | undefined }): StatusWord[] {
  const words: StatusWord[] = [];
  if (c.leadId) words.push({ label: 'Lead', badge: 'succeeded' });
  const state = c.handoffState as HandoffState | undefined;
  if (state && state !== 'bot') words.push(HANDOFF_STATE[state]);
  else if (c.escalated) words.push(HANDOFF_STATE.bot);
  words.push(CONVERSATION_STATUS[c.status] ?? { label: c.status, badge: c.status });
  return words;
}

/** The engine's calibrated confidence (0–1) on the one scale every page shows: a whole percentage. */
export function formatConfidence(confidence: number): string {
  return `${Math.round(Math.min(1, Math.max(0, confidence)) * 100)} %`;
}
