import type { HandoffInfo } from '@fc/contracts';
import type { HandoffState } from '../../db/schema.js';
import { describeOpening } from './business-hours.js';

/** The engine's last line after an escalation when it has no way to reach the visitor yet. */
export const CONTACT_QUESTION = "What's the best phone number or email address to reach you?";

/** While a person is awaited or answering, the bot does not. */
export function isBotSilent(state: HandoffState): boolean {
  return state === 'waiting_for_human' || state === 'human';
}

export interface Opening {
  at: Date;
  timezone: string;
  locale: string;
}

function when(opening: Opening): string {
  return describeOpening(opening.at, opening.timezone, opening.locale);
}

/** Added to the bot's escalation reply outside business hours, before its request for contact details. */
export function withClosedLine(text: string, businessName: string, opening: Opening): string {
  const closed = `${businessName || 'The team'} is closed right now; a person will reply from ${when(opening)}.`;
  return text.endsWith(CONTACT_QUESTION) ? `${text.slice(0, -CONTACT_QUESTION.length)}${closed} ${CONTACT_QUESTION}` : `${text} ${closed}`;
}

/**
 * The system notice a visitor sees instead of a bot answer while waiting for a person. It is stored only when
 * it differs from the conversation's current notice, so repeated messages do not repeat it.
 */
export function describeWaitingNotice(businessName: string, opening: Opening | null, hasContact: boolean): string {
  const team = `the ${businessName || ''} team`.replace('the  team', 'the team');
  if (!opening) return `Thanks, your message is with ${team}. A person will reply here as soon as they can.`;
  if (!hasContact) return `${businessName || 'The team'} is closed right now; a person will reply from ${when(opening)}. ${CONTACT_QUESTION}`;
  return `Thanks, your message is with ${team}. We are closed right now; a person will reply from ${when(opening)}.`;
}

/** What the visitor sees when a person takes the conversation, hands it back or resolves it. */
export const HANDOFF_NOTICES = {
  claimed: (agent: string) => `${agent} joined the conversation.`,
  handedBack: (agent: string) => `${agent} handed the conversation back to the assistant.`,
  resolved: (agent: string) => `${agent} marked the conversation as resolved.`,
};

/** The reply's `handoff` field; omitted while the bot simply answers. */
export function toHandoffInfo(state: HandoffState, agentName: string | null, opening: Opening | null): HandoffInfo | undefined {
  if (state === 'bot') return undefined;
  return { state, agentName: state === 'human' ? agentName : null, nextOpenAt: opening ? `${opening.at.toISOString().slice(0, 19)}Z` : null };
}
