/** A run of message text; `href` is set when the run is a safe link. */
export interface TextPart {
  text: string;
  href?: string;
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?'")\]}]+$/;

/**
 * Splits message text into plain runs and links. Only http(s) URLs become links (never `javascript:` or
 * `data:`), and sentence punctuation after a URL stays text. The caller renders every run with textContent.
 */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let candidate = match[0];
    const trailing = TRAILING_PUNCTUATION.exec(candidate)?.[0] ?? '';
    candidate = candidate.slice(0, candidate.length - trailing.length);
    // Keep a closing parenthesis that belongs to the URL, as in Wikipedia links.
    if (trailing.startsWith(')') && candidate.split('(').length > candidate.split(')').length) candidate += ')';
    let href: string;
    try {
      const url = new URL(candidate);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      href = url.href;
    } catch {
      continue;
    }
    const start = match.index;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: candidate, href });
    last = start + candidate.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}
