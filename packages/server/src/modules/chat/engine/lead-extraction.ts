import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js';
import type { LeadField } from './engine.types.js';

export interface ExtractedLead {
  name: string | null;
  email: string | null;
  phone: string | null;
  declined: LeadField[];
}

/** Longest name we accept, in words: longer runs of capitalised words are rarely a person's name. */
const NAME_MAX_WORDS = 4;

const EMAIL = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}/gi;
// "jane at example dot com", "dan.ortiz AT example dot com", "bob (at) mail (dot) org"
const COMMON_TLDS = /\.(?:com|org|net|edu|gov|io|co|us|uk|ca|au|de|fr|es|it|nl|info|biz|me|mx|in)$/;
const SPELLED_EMAIL =
  /\b([a-z0-9][a-z0-9._%+-]*)\s*(?:\(at\)|\[at\]|\sat\s)\s*([a-z0-9-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*[a-z0-9-]+)+)/gi;

const ANY_DIGIT = /\p{Nd}/u;

/** Words that can start a sentence in capitals but never begin a name ("I'm Looking for…", "This is Urgent"). */
const NOT_NAME_WORDS = new Set(
  `a an the and or but so if not no yes yeah sure ok okay well just also still really very here there this that it
  looking trying hoping wondering calling writing asking interested glad happy sorry afraid going planning thinking
  new old moving moved out in on at from with about having getting doing need want would like could can will
  available busy home back ready done fine good great urgent emergency hi hello hey thanks thank please my your our
  phone email number name call text mobile cell contact address work office me him her them you we they he she`
    .split(/\s+/)
    .filter(Boolean),
);

const NAME_WORD = String.raw`[A-Z\u00C0-\u00DE][A-Za-z\u00C0-\u00FF'\u2019-]*`;
const NAME_WORD_ANY_CASE = String.raw`[A-Za-z\u00C0-\u00FF][A-Za-z\u00C0-\u00FF'\u2019-]*`;

const EXPLICIT_NAME = new RegExp(
  String.raw`(?:\bmy name is|\bmy name's|\bname's|\bname is|\bname\s*:|\bcall me|\bthe name is)\s+(${NAME_WORD_ANY_CASE}(?:[ \t]+${NAME_WORD_ANY_CASE}){0,${NAME_MAX_WORDS - 1}})`,
  'i',
);
const INTRODUCED_NAME = new RegExp(String.raw`(?:\bI'm|\bI\u2019m|\bI am|\b[Tt]his is)\s+(${NAME_WORD}(?:[ \t]+${NAME_WORD}){0,${NAME_MAX_WORDS - 1}})`);
// "it's Greg Whitfield by the way" only names someone when the bot has just asked for a name.
const ANSWERED_NAME = new RegExp(String.raw`(?:\b[Ii]t's|\b[Ii]t\u2019s|\b[Ii]t is)\s+(${NAME_WORD}(?:[ \t]+${NAME_WORD}){0,${NAME_MAX_WORDS - 1}})`);

const DECLINE_VERBS = String.raw`(?:rather not|prefer not|would rather not|don't want to|do not want to|won't|will not|not comfortable|can't|cannot|not going to)\s+(?:give|share|provide|leave|say|tell|send)`;

const DECLINE_PATTERNS: Record<LeadField, RegExp[]> = {
  email: [
    /\bno\s+e-?mail\b/i,
    new RegExp(`${DECLINE_VERBS}\\s+(?:you\\s+)?(?:an?\\s+|my\\s+)?e-?mail`, 'i'),
    /\b(?:don't|do not)\s+(?:have|use)\s+(?:an?\s+)?e-?mail\b/i,
    /\b(?:phone|text|call)\s+only\b/i,
  ],
  phone: [
    /\bno\s+(?:phone|calls|phone calls|number)\b/i,
    new RegExp(`${DECLINE_VERBS}\\s+(?:you\\s+)?(?:a\\s+|my\\s+)?(?:phone|number|cell)`, 'i'),
    /\b(?:don't|do not)\s+want\s+(?:any\s+)?(?:phone\s+)?calls\b/i,
    /\be-?mail\s+only\b|\bonly\s+(?:by\s+)?e-?mail\b/i,
  ],
  name: [new RegExp(`${DECLINE_VERBS}\\s+(?:you\\s+)?(?:my\\s+)?name`, 'i'), /\b(?:no|without)\s+name\b/i, /\banonymous\b/i],
};

function titleCase(name: string): string {
  return name
    .split(/\s+/)
    .map((word) => (word === word.toLowerCase() ? word.charAt(0).toUpperCase() + word.slice(1) : word))
    .join(' ');
}

function cleanName(candidate: string): string | null {
  const words = candidate
    .replace(/[\u2019]/g, "'")
    .trim()
    .split(/\s+/);
  const kept: string[] = [];
  for (const word of words) {
    const bare = word.replace(/[^A-Za-z\u00C0-\u00FF'-]/g, '');
    if (!bare || NOT_NAME_WORDS.has(bare.toLowerCase())) break;
    kept.push(bare);
    if (kept.length === NAME_MAX_WORDS) break;
  }
  if (kept.length === 0) return null;
  return titleCase(kept.join(' '));
}

/** Pulls every email address out of a message, including spelled-out ones ("jane at example dot com"). */
export function extractEmails(message: string): string[] {
  const results: { index: number; value: string }[] = [...message.matchAll(EMAIL)].map((m) => ({ index: m.index, value: m[0].toLowerCase() }));
  for (const match of message.matchAll(SPELLED_EMAIL)) {
    const domain = (match[2] ?? '').replace(/\s*(?:\(dot\)|\[dot\]|\sdot\s|\.)\s*/gi, '.').toLowerCase();
    const local = match[1] ?? '';
    // "I'm at home. Call me" is not an address: demand a spoken "dot" or a well-known ending, and a real local part.
    const saidDot = /\bdot\b/i.test(match[2] ?? '');
    if (local.length < 2 || !/\.[a-z]{2,24}$/.test(domain) || (!saidDot && !COMMON_TLDS.test(domain))) continue;
    results.push({ index: match.index, value: `${(match[1] ?? '').toLowerCase()}@${domain}` });
  }
  return results.sort((a, b) => a.index - b.index).map((r) => r.value.replace(/\.$/, ''));
}

/** Pulls phone numbers out of a message and normalises them to E.164 with the default region. */
export function extractPhones(message: string, defaultRegion: string): string[] {
  // libphonenumber's matcher only finds numbers with digits (any script's); most messages have none and
  // it is one of the costlier steps of a turn, so they skip it.
  if (!ANY_DIGIT.test(message)) return [];
  const region = (/^[A-Z]{2}$/.test(defaultRegion) ? defaultRegion : 'US') as CountryCode;
  return findPhoneNumbersInText(message, region).map((found) => found.number.number as string);
}

/** Finds a person's name: introduced ("I'm Jane", "Name: Marcus O'Neill") or, when the bot just asked for it, a bare answer. */
export function extractName(message: string, isAwaitingName: boolean): string | null {
  const withoutContacts = message.replace(EMAIL, ' ').replace(SPELLED_EMAIL, ' ');
  const explicit = EXPLICIT_NAME.exec(withoutContacts);
  if (explicit?.[1]) {
    const name = cleanName(explicit[1]);
    if (name && !/^(at|me)$/i.test(name)) return name;
  }
  const introduced = INTRODUCED_NAME.exec(withoutContacts);
  if (introduced?.[1]) {
    const name = cleanName(introduced[1]);
    if (name) return name;
  }
  if (!isAwaitingName) return null;
  const answered = ANSWERED_NAME.exec(withoutContacts);
  if (answered?.[1]) {
    const name = cleanName(answered[1]);
    if (name) return name;
  }
  // A bare answer to "what's your name?": a few words, no digits, not a question, not a sentence.
  const bare = withoutContacts
    .replace(/\b(by the way|btw|thanks|thank you|please)\b/gi, ' ')
    .replace(/^\s*(sure|ok|okay|yes|yeah|hi|hello|hey|it's|its|it is|i'm|i am)[\s,.!:-]+/i, '')
    .replace(/[.!,]+\s*$/, '')
    .trim();
  if (!bare || /\d|\?|@/.test(bare)) return null;
  const words = bare.split(/\s+/);
  if (words.length > NAME_MAX_WORDS) return null;
  if (!words.every((w) => new RegExp(`^${NAME_WORD_ANY_CASE}$`).test(w))) return null;
  if (words.some((w) => NOT_NAME_WORDS.has(w.toLowerCase()))) return null;
  return titleCase(words.join(' '));
}

/** Lists the lead fields a visitor refuses to give ("no email, thanks", "I'd rather not share my name"). */
export function extractDeclinedFields(message: string): LeadField[] {
  const text = message.replace(/[\u2019]/g, "'");
  return (Object.keys(DECLINE_PATTERNS) as LeadField[]).filter((field) => DECLINE_PATTERNS[field].some((p) => p.test(text)));
}

/** Extracts every lead detail in one message; the last phone or email wins, which is how people correct themselves. */
export function extractLeadDetails(message: string, options: { awaitingField: LeadField | null; defaultRegion: string }): ExtractedLead {
  const emails = extractEmails(message);
  const phones = extractPhones(message.replace(EMAIL, ' '), options.defaultRegion);
  const declined = extractDeclinedFields(message);
  return {
    name: declined.includes('name') ? null : extractName(message, options.awaitingField === 'name'),
    email: emails.at(-1) ?? null,
    phone: phones.at(-1) ?? null,
    declined,
  };
}
