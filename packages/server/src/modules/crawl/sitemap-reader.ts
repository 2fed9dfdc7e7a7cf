import { XMLParser } from 'fast-xml-parser';

/**
 * Reads a sitemap (`<urlset>`) or a sitemap index (`<sitemapindex>`) with a real XML parser: entities,
 * CDATA, namespaces and comments are the parser's business, not a regular expression's. Entity expansion
 * is off (no "billion laughs"), and so are attributes, which sitemaps do not need.
 */

export interface SitemapContents {
  /** Page URLs (`<url><loc>`), in document order. */
  pages: string[];
  /** Nested sitemaps (`<sitemap><loc>` of an index). */
  sitemaps: string[];
}

const parser = new XMLParser({
  ignoreAttributes: true,
  processEntities: false,
  removeNSPrefix: true,
  isArray: (name) => name === 'url' || name === 'sitemap',
  parseTagValue: false,
  trimValues: true,
});

function locsOf(entries: unknown): string[] {
  if (!Array.isArray(entries)) return [];
  const locs: string[] = [];
  for (const entry of entries) {
    const loc = (entry as { loc?: unknown } | null)?.loc;
    if (typeof loc === 'string' && loc !== '') locs.push(loc.replaceAll('&amp;', '&'));
  }
  return locs;
}

/** Parses sitemap XML; null when the text is not a sitemap at all (not XML, or another document). */
export function readSitemap(xml: string): SitemapContents | null {
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(xml, true) as Record<string, unknown>;
  } catch {
    return null;
  }
  const urlset = parsed.urlset as { url?: unknown } | undefined;
  const index = parsed.sitemapindex as { sitemap?: unknown } | undefined;
  if (urlset === undefined && index === undefined) return null;
  return { pages: locsOf(urlset?.url), sitemaps: locsOf(index?.sitemap) };
}
