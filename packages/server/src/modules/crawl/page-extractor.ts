import { Readability } from '@mozilla/readability';
import { convert, type FormatCallback, type HtmlToTextOptions } from 'html-to-text';
import { parseHTML } from 'linkedom';
import { MAX_ANSWER_CHARS, MAX_DOCUMENT_CHARS, MAX_QUESTION_CHARS, MAX_TITLE_CHARS } from '../knowledge/knowledge.schemas.js';

/**
 * Turns one HTML page into knowledge: the main text (Mozilla's Readability over a linkedom DOM, so menus,
 * footers and cookie banners stay out), split into passages at its headings, plus the links to follow.
 * A heading that asks a question ("Do you work on Sundays?") becomes an FAQ pair with the text under it
 * as the answer, the way a FAQ page reads (on a page where most headings are questions, every heading is);
 * any other heading starts a document passage titled by it.
 */

export type ExtractedPassage =
  | { kind: 'faq'; question: string; answer: string }
  | { kind: 'document'; title: string; text: string };

export interface ExtractedPage {
  title: string;
  passages: ExtractedPassage[];
  /** Absolute http(s) links of the page (fragment dropped), in page order, without duplicates. */
  links: string[];
  /** `<meta name="robots" content="noindex">` (or one naming our bot). */
  isNoIndex: boolean;
  /** `<meta name="robots" content="nofollow">`: its links are not followed. */
  isNoFollow: boolean;
}

/** Passages taken from one page at most; a page with more is cut (a sitemap-sized page is not knowledge). */
export const MAX_PASSAGES_PER_PAGE = 200;
/** Links read from one page at most. */
export const MAX_LINKS_PER_PAGE = 1_000;
/** Main text that is at least this share link text is a menu or an index page, not knowledge. */
const MAX_LINK_TEXT_SHARE = 0.8;
/** Below this much main text, Readability probably missed the content: fall back to the whole body. */
const MIN_ARTICLE_CHARS = 200;
const HEADING_MARK = '\u0001';
const HEADING_TAGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
/** Page furniture removed before the whole-body fallback. */
const CHROME_SELECTOR = 'script, style, noscript, template, nav, header, footer, aside, form, iframe, svg, [role="navigation"], [role="banner"], [role="contentinfo"], [aria-hidden="true"]';

/** The little of the DOM we use (the server is compiled without the DOM library; linkedom provides it). */
interface DomElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
  remove(): void;
  innerHTML: string;
}
interface DomDocument {
  title: string;
  body: DomElement | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}

function parseDocument(html: string): DomDocument {
  return (parseHTML(html) as unknown as { document: DomDocument }).document;
}

const formatHeading: FormatCallback = (element, walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(`${HEADING_MARK}${(element as { name: string }).name}${HEADING_MARK}`);
  walk((element as unknown as { children: Parameters<typeof walk>[0] }).children, builder);
  builder.addLiteral(HEADING_MARK);
  builder.closeBlock({ trailingLineBreaks: 2 });
};

const TEXT_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  formatters: { heading: formatHeading },
  selectors: [
    ...HEADING_TAGS.map((selector) => ({ selector, format: 'heading' })),
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    { selector: 'ul', options: { itemPrefix: '• ' } },
  ],
};

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

function readRobotsMeta(document: DomDocument): { isNoIndex: boolean; isNoFollow: boolean } {
  let isNoIndex = false;
  let isNoFollow = false;
  for (const meta of Array.from(document.querySelectorAll('meta[name]'))) {
    const name = (meta.getAttribute('name') ?? '').toLowerCase();
    if (name !== 'robots' && name !== 'fusionchatalystbot') continue;
    const content = (meta.getAttribute('content') ?? '').toLowerCase();
    if (/\b(noindex|none)\b/.test(content)) isNoIndex = true;
    if (/\b(nofollow|none)\b/.test(content)) isNoFollow = true;
  }
  return { isNoIndex, isNoFollow };
}

function readLinks(document: DomDocument, pageUrl: URL): string[] {
  let base = pageUrl;
  const baseHref = document.querySelector('base[href]')?.getAttribute('href');
  if (baseHref) {
    try {
      base = new URL(baseHref, pageUrl);
    } catch {
      // A broken <base> is ignored, as browsers do.
    }
  }
  const links = new Set<string>();
  for (const anchor of Array.from(document.querySelectorAll('a[href]'))) {
    if (links.size >= MAX_LINKS_PER_PAGE) break;
    if (/\bnofollow\b/i.test(anchor.getAttribute('rel') ?? '')) continue;
    const href = (anchor.getAttribute('href') ?? '').trim();
    if (href === '' || href.startsWith('#')) continue;
    try {
      const url = new URL(href, base);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      url.hash = '';
      links.add(url.href);
    } catch {
      // Not a URL: nothing to follow.
    }
  }
  return [...links];
}

/** The page's main content as HTML: Readability's article (it consumes `document`), or the body without its furniture. */
function mainContentHtml(html: string, document: DomDocument): { html: string; title: string } {
  const documentTitle = collapse(document.title ?? '');
  let article: ReturnType<Readability<string>['parse']> = null;
  try {
    article = new Readability(document as never, { charThreshold: MIN_ARTICLE_CHARS }).parse();
  } catch {
    article = null;
  }
  if (article?.content && collapse(article.textContent ?? '').length >= MIN_ARTICLE_CHARS) {
    return { html: article.content, title: collapse(article.title ?? '') || documentTitle };
  }
  // Short pages (opening hours, a contact page) are not "articles" to Readability: keep the body, minus furniture.
  const fallback = parseDocument(html);
  for (const element of Array.from(fallback.querySelectorAll(CHROME_SELECTOR))) element.remove();
  const main = fallback.querySelector('main, [role="main"], article') ?? fallback.body;
  return { html: main?.innerHTML ?? '', title: documentTitle };
}

interface Section { level: number; heading: string; body: string }

function splitSections(text: string, pageTitle: string): Section[] {
  const sections: Section[] = [];
  const pattern = new RegExp(`${HEADING_MARK}h([1-6])${HEADING_MARK}([\\s\\S]*?)${HEADING_MARK}`, 'g');
  let last = 0;
  let current: Section = { level: 0, heading: pageTitle, body: '' };
  for (const match of text.matchAll(pattern)) {
    current.body += text.slice(last, match.index);
    sections.push(current);
    current = { level: Number(match[1]), heading: collapse(match[2] ?? ''), body: '' };
    last = match.index + match[0].length;
  }
  current.body += text.slice(last);
  sections.push(current);
  return sections.map((section) => ({ ...section, body: section.body.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim() }));
}

/**
 * Splits content HTML into passages at its headings; text before the first heading is titled `pageTitle`.
 * Used for web pages and for uploaded DOCX and HTML files.
 */
export function passagesFromHtml(html: string, pageTitle: string): ExtractedPassage[] {
  const text = convert(html, TEXT_OPTIONS);
  const passages: ExtractedPassage[] = [];
  const sections = splitSections(text, pageTitle);
  // A FAQ page: when most headings with text under them ask a question, every such heading is a question
  // ("Opening hours" on a FAQ page is asked as much as "When are you open?").
  const answered = sections.filter((section) => section.body !== '' && section.level > 0);
  const questions = answered.filter((section) => section.heading.endsWith('?')).length;
  const isFaqPage = questions >= 2 && questions * 2 > answered.length;
  // A heading with nothing under it (a section title followed by sub-headings) names its sub-sections.
  const parents: Section[] = [];
  for (const section of sections) {
    while (parents.length > 0 && (parents.at(-1) as Section).level >= section.level && section.level > 0) parents.pop();
    const emptyParent = parents.at(-1);
    if (section.body === '') {
      if (section.heading !== '') parents.push(section);
      continue;
    }
    if (passages.length >= MAX_PASSAGES_PER_PAGE) break;
    const heading = section.heading || pageTitle;
    const isQuestion = heading.endsWith('?') || (isFaqPage && section.level > 0);
    if (isQuestion && heading.length <= MAX_QUESTION_CHARS && section.body.length <= MAX_ANSWER_CHARS) {
      passages.push({ kind: 'faq', question: heading, answer: section.body });
    } else {
      const title = emptyParent && emptyParent.body === '' && emptyParent.level > 1 && emptyParent.level < section.level ? `${emptyParent.heading} – ${heading}` : heading;
      passages.push({ kind: 'document', title: clip(title, MAX_TITLE_CHARS), text: clip(section.body, MAX_DOCUMENT_CHARS) });
    }
  }
  return passages;
}

/** True for content that is mostly link text, headings aside (a home page listing the site's pages): it would only add noise. */
function isMostlyLinks(html: string): boolean {
  const content = parseDocument(`<!doctype html><html><body>${html}</body></html>`);
  // Headings do not count: a page that is a title over a list of links is still an index.
  for (const heading of Array.from(content.querySelectorAll(HEADING_TAGS.join(', ')))) heading.remove();
  const total = collapse(content.body?.textContent ?? '').length;
  if (total === 0) return false;
  const linked = Array.from(content.querySelectorAll('a')).reduce((sum, anchor) => sum + collapse(anchor.textContent ?? '').length, 0);
  return linked / total >= MAX_LINK_TEXT_SHARE;
}

/** Extracts the title, passages and links of an HTML page fetched from `pageUrl`. */
export function extractPage(html: string, pageUrl: URL): ExtractedPage {
  const document = parseDocument(html);
  const { isNoIndex, isNoFollow } = readRobotsMeta(document);
  const links = isNoFollow ? [] : readLinks(document, pageUrl);
  // Readability changes the document it reads: links and meta tags are read above, before it runs.
  const content = mainContentHtml(html, document);
  const pageTitle = clip(content.title || pageUrl.pathname, MAX_TITLE_CHARS);
  const passages = isMostlyLinks(content.html) ? [] : passagesFromHtml(content.html, pageTitle);
  return { title: pageTitle, passages, links, isNoIndex, isNoFollow };
}
