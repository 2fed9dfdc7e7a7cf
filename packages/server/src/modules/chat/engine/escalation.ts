import type { EngineSettings } from './engine.types.js';

export type EscalationReason = 'requested_human' | 'anger' | 'complaint' | 'legal' | 'keyword' | 'repeated_failed_answers';

// Anger must be aimed at the business or the bot: "my last plumber was useless" is a look-alike.
const TARGET = String.raw`(?:you|you're|you are|you guys|y'all|this (?:bot|chat|thing|service|company|place)|your (?:bot|chat|service|company|team|people|staff|technician|tech|plumber|guy|website|answers)|this)`;
const ANGER_PATTERNS: RegExp[] = [
  new RegExp(String.raw`\b${TARGET}\s+(?:is|are|'re|was|were)?\s*(?:so\s+|completely\s+|totally\s+|absolutely\s+|really\s+)?(?:useless|pointless|worthless|stupid|dumb|idiots?|incompetent|pathetic|a joke|garbage|trash|terrible|horrible|awful|the worst|ridiculous|unbelievable)\b`, 'i'),
  /\b(?:you(?:'re| are)?|this bot)\s+(?:not|isn't|is not|aren't|are not)\s+(?:understanding|listening|helping|helpful|making sense)\b/i,
  /\b(?:you(?:'re| are)? not (?:understanding|getting it|listening))\b/i,
  /\b(?:this|it)\s+(?:isn't|is not|ain't)\s+(?:working|helping|helpful)\b/i,
  /\bthat(?:'s| is)\s+not\s+what\s+i\s+(?:asked|said|meant)\b/i,
  /\b(?:keep|keeps)\s+giving\s+me\b.*\b(?:generic|same|useless|wrong|canned)\b/i,
  /\b(?:i(?:'ve| have))\s+asked\s+(?:three|3|two|2|several|multiple|many|four|4|five|5)\s+times\b/i,
  /\b(?:wtf|fuck\w*|shit|crap|damn it|dammit|bullshit|pissed off|fed up|sick of this)\b/i,
  /\bforget it\b/i,
];

export const COMPLAINT_PATTERNS: RegExp[] = [
  /\b(?:rip-?off|scam(?:med)?|overcharg\w*|unacceptable|disgusting|outrageous|fraud\w*)\b/i,
  /\b(?:dispute|contest)\s+(?:a|the|this|that)?\s*charge\b/i,
  /\b(?:complain|complaint|file a complaint)\b/i,
  /\b(?:nobody|no one|no-one)\s+(?:has\s+|ever\s+)?(?:returned|called|answered|responded|showed|came)\b/i,
  /\b(?:left|made)\s+(?:a|such a|a huge|a big)\s+mess\b/i,
  /\b(?:didn't|did not|never)\s+(?:even\s+)?(?:fix|show up|showed up|come|call(?:ed)? back|finish|repair)\b/i,
  /\b(?:you|your \w+)\s+(?:flooded|broke|damaged|ruined|scratched|destroyed)\b/i,
  /\bi was (?:charged|billed)\b/i,
  /\b(?:want|demand)\s+(?:a|my)\s+(?:refund|money back)\b/i,
];

const LEGAL_PATTERNS: RegExp[] = [
  /\b(?:lawyer|attorney|lawsuit|sue (?:you|your)|suing|legal action|(?:take|see) (?:you|this|your company) (?:to|in) court|small claims)\b/i,
  /\b(?:better business bureau|bbb|attorney general|consumer protection)\b/i,
  /\breport (?:you|this|your company)\b/i,
  /\b(?:1|one)[- ]star reviews?\b/i,
];

export const HUMAN_PATTERNS: RegExp[] = [
  /\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a|an|some|your|the)?\s*(?:real\s+|live\s+|actual\s+|office\s+|general\s+|store\s+|billing\s+|practice\s+|clinic\s+|shop\s+)?(?:person|human|someone|somebody|manager|supervisor|agent|representative|rep|owner|people|staff|employee|operator|dispatch\w*)\b/i,
  /\b(?:get|give|put|transfer|connect)\s+(?:me\s+)?(?:to|through to|with)?\s*(?:a|an|the)?\s*(?:real\s+|live\s+)?(?:human|person|manager|supervisor|agent|representative|operator)\b/i,
  /\b(?:human|agent|representative|operator|real person|live person|manager|supervisor)\s*(?:please|pls|now)\b/i,
  /^\s*(?:a\s+)?(?:human|agent|representative|operator|real person|live agent)[.!?]*\s*$/i,
  /\b(?:is there|are there|can i get|i want|i need|i'd like|i would like)\s+(?:a|an|some)?\s*(?:real\s+|live\s+|actual\s+)?(?:human|person|manager|supervisor|agent|representative)\b.*\b(?:talk|speak|chat|instead|call|contact)/i,
  /\b(?:manager|supervisor|owner|someone in charge)\s+(?:to\s+)?(?:call|contact|phone|email|get back to)\s+me\b/i,
  /\b(?:someone|somebody)\s+(?:needs to|must|should|has to)\s+(?:call|contact)\s+me\b/i,
  /\binstead of (?:a|this|the)\s+(?:bot|robot|machine|ai)\b/i,
  /\bwho can i (?:talk|speak) to\b/i,
];

/** Decides whether this message escalates to a person; returns the reason, or null. Pure: the caller tracks "once per conversation". */
export function detectEscalation(message: string, settings: EngineSettings['escalation']): EscalationReason | null {
  if (!settings.enabled) return null;
  const text = message.replace(/[\u2019]/g, "'");
  if (settings.onLegal && LEGAL_PATTERNS.some((p) => p.test(text))) return 'legal';
  if (settings.onRequest && HUMAN_PATTERNS.some((p) => p.test(text))) return 'requested_human';
  if (settings.onComplaint && COMPLAINT_PATTERNS.some((p) => p.test(text))) return 'complaint';
  if (settings.onAnger && (ANGER_PATTERNS.some((p) => p.test(text)))) return 'anger';
  const lower = text.toLowerCase();
  if (settings.keywords.some((keyword) => keyword.trim() && lower.includes(keyword.trim().toLowerCase()))) return 'keyword';
  return null;
}

/** Returns whether the visitor signals that the last answer missed ("that's not what I asked"), which counts as a failed answer. */
export function isNegativeFeedback(message: string): boolean {
  return /\b(?:not what i (?:asked|meant|said)|you(?:'re| are)? not (?:understanding|listening)|wrong answer|that(?:'s| is) wrong|doesn't answer|didn't answer|generic answers?)\b/i.test(
    message.replace(/[\u2019]/g, "'"),
  );
}
