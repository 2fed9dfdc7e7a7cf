/**
 * Prompt-injection and data-extraction attempts. The built-in engine cannot be steered by them (it only quotes
 * the knowledge base), but answering them with a "best match" would still look like compliance, so they get
 * the honest fallback instead; an LLM provider never sees them as instructions either.
 */
const INJECTION_PATTERNS: RegExp[] = [
  /\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:instructions?|rules|prompts?|directions|guidelines|programming|restrictions)\b/i,
  /\b(?:system|initial|hidden|original)\s+prompt\b/i,
  /\b(?:reveal|show|print|repeat|output|tell me|what are)\b.{0,30}\byour\s+(?:instructions|system message|configuration|settings|prompt|rules)\b/i,
  /\b(?:developer|god|admin|debug|jailbreak)\s+mode\b/i,
  /\byou are now\b|\bpretend (?:to be|you are)\b|\bact as (?:an?|my)\b|\bno rules\b|\bjailbreak/i,
  /\b(?:admin|administrator|root)\s+(?:password|credentials|login|access)\b/i,
  /^\s*(?:system|assistant|developer)\s*:/im,
  /\b(?:print|dump|list|show|export|give me)\b.{0,40}\b(?:knowledge base|database|every customer|all (?:the\s+)?(?:customers?|users?|leads?)|customer (?:phone numbers|emails|data|list))\b/i,
];

/** Returns whether a message tries to re-program the bot or pull out internal or customer data. */
export function isPromptInjection(message: string): boolean {
  return INJECTION_PATTERNS.some((pattern) => pattern.test(message));
}
