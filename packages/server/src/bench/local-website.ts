import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small website on 127.0.0.1 for crawler tests, the browser test, the eval and the bench: a map of paths
 * to handlers, and a log of every request (path, User-Agent, conditional headers) to assert on.
 */

export type RouteHandler = (request: IncomingMessage, response: ServerResponse, site: LocalWebsite) => void;

export interface LoggedRequest {
  path: string;
  userAgent: string;
  ifNoneMatch: string | null;
}

export interface LocalWebsite {
  origin: string;
  requests: LoggedRequest[];
  routes: Map<string, RouteHandler>;
  close(): Promise<void>;
}

/** An HTML page (title, body) with an optional ETag. */
export function htmlPage(title: string, body: string, options: { etag?: string } = {}): RouteHandler {
  return (request, response) => {
    if (options.etag && request.headers['if-none-match'] === options.etag) {
      response.writeHead(304, { etag: options.etag }).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...(options.etag ? { etag: options.etag } : {}) })
      .end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`);
  };
}

export function textFile(contentType: string, text: (site: LocalWebsite) => string): RouteHandler {
  return (_request, response, site) => {
    response.writeHead(200, { 'content-type': contentType }).end(text(site));
  };
}

export function redirectTo(location: (site: LocalWebsite) => string, status = 302): RouteHandler {
  return (_request, response, site) => {
    response.writeHead(status, { location: location(site) }).end();
  };
}

/** Serves `routes` on 127.0.0.1 (any free port); unknown paths answer 404. */
export async function startLocalWebsite(routes: Record<string, RouteHandler>): Promise<LocalWebsite> {
  const site: LocalWebsite = { origin: '', requests: [], routes: new Map(Object.entries(routes)), close: async () => undefined };
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    site.requests.push({ path, userAgent: String(request.headers['user-agent'] ?? ''), ifNoneMatch: (request.headers['if-none-match'] as string | undefined) ?? null });
    const handler = site.routes.get(path);
    if (!handler) {
      response.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>');
      return;
    }
    handler(request, response, site);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  site.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return site;
}

/**
 * The test business's website: pages linked from the home page and from the sitemap, a robots.txt that
 * excludes a folder, a redirect loop, an external link, a 404, a 5 MB page, a redirect to a private
 * address, a PDF link and a same-site redirect.
 */
export function acmeWebsiteRoutes(): Record<string, RouteHandler> {
  return {
    '/': htmlPage('Acme Plumbing', `<header><nav><a href="/hours">Hours</a> <a href="/services">Services</a> <a href="/private/staff">Staff</a></nav></header>
<main><h1>Acme Plumbing</h1><p>Family plumbers in Springfield since 1987. We fix leaks, unblock drains and install water heaters.</p>
<p><a href="/loop-a">Special offer</a> · <a href="https://external.example.org/review">Read our reviews</a> · <a href="/missing">Old page</a>
· <a href="/big">Full catalogue</a> · <a href="/to-private">Admin</a> · <a href="/brochure.pdf">Brochure</a> · <a href="/old-hours">Old hours page</a></p></main>
<footer>© Acme Plumbing</footer>`),
    '/hours': htmlPage('Opening hours – Acme Plumbing', `<main><h1>Opening hours</h1><p>We are open Monday to Friday from 8am to 6pm.</p>
<h2>Do you work on Saturdays?</h2><p>On Saturdays a plumber is on call from 9am to 1pm for emergencies only.</p></main>`, { etag: '"hours-v1"' }),
    '/services': htmlPage('Services – Acme Plumbing', `<main><h1>Services</h1><h2>Drain cleaning</h2><p>We clear blocked drains with a camera inspection and high-pressure jetting. A drain visit costs $129.</p>
<h2>Water heaters</h2><p>We repair and replace gas and electric water heaters, tank and tankless, usually on the same day.</p></main>`),
    '/faq': htmlPage('FAQ – Acme Plumbing', `<main><h1>Frequently asked questions</h1>
<h2>Do you offer a warranty on repairs?</h2><p>Every repair comes with a two-year parts and labour warranty, the Acme Promise.</p>
<h2>Which areas do you cover?</h2><p>We cover Springfield, Shelbyville and Capital City, with no call-out fee inside the ring road.</p></main>`, { etag: '"faq-v1"' }),
    '/private/staff': htmlPage('Staff only', '<main><h1>Staff rota</h1><p>The secret staff rota lives here and must never be imported.</p></main>'),
    '/loop-a': redirectTo(() => '/loop-b'),
    '/loop-b': redirectTo(() => '/loop-a'),
    '/old-hours': redirectTo(() => '/hours', 301),
    '/to-private': redirectTo(() => 'http://10.0.0.1/admin'),
    '/big': (_request, response) => {
      // 5 MB of HTML, streamed without a Content-Length, so only the reading cap can stop it.
      response.writeHead(200, { 'content-type': 'text/html' });
      const chunk = `<p>${'catalogue entry '.repeat(4096)}</p>`;
      let sent = 0;
      const write = (): void => {
        while (sent < 5 * 1024 * 1024) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', write);
            return;
          }
        }
        response.end();
      };
      response.on('error', () => undefined);
      write();
    },
    '/brochure.pdf': (_request, response) => { response.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.4'); },
    '/robots.txt': textFile('text/plain', (site) => `User-agent: *\nDisallow: /private/\n\nSitemap: ${site.origin}/sitemap.xml\n`),
    '/sitemap.xml': textFile('application/xml', (site) => `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>${site.origin}/</loc></url>
  <url><loc>${site.origin}/faq</loc><lastmod>2026-11-30</lastmod></url>
  <url><loc>${site.origin}/services?utm_source=sitemap</loc></url>
</urlset>`),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function paragraphs(text: string): string {
  return text.split(/\n\s*\n/).map((block) => `<p>${escapeHtml(block.trim()).replace(/\n/g, '<br>')}</p>`).join('\n');
}

/**
 * A business's knowledge as its website would show it (`npm run eval -- --from-website`, `npm run bench -- crawl`):
 * a home page linking every page, one page per document (its title as the page title and heading), and the
 * FAQs on one page, each question a heading with its answer under it. Menus and a footer on every page, as on
 * a real site, for the extractor to leave out.
 */
export function knowledgeWebsiteRoutes(knowledge: { faqs: { question: string; answer: string }[]; documents: { title: string; text: string }[] }, businessName: string): Record<string, RouteHandler> {
  const pagePaths = knowledge.documents.map((_document, index) => `/pages/${index + 1}`);
  const nav = `<header><nav><a href="/">Home</a> <a href="/faq">FAQ</a>${pagePaths.slice(0, 5).map((p, i) => ` <a href="${p}">${escapeHtml(knowledge.documents[i]?.title ?? '')}</a>`).join('')}</nav></header>`;
  const footer = `<footer><p>© ${escapeHtml(businessName)} · <a href="/">Home</a></p></footer>`;
  const page = (title: string, main: string): RouteHandler => htmlPage(`${escapeHtml(title)} – ${escapeHtml(businessName)}`, `${nav}<main>${main}</main>${footer}`);
  const routes: Record<string, RouteHandler> = {
    '/': page(businessName, `<h1>${escapeHtml(businessName)}</h1><ul>${[['/faq', 'Frequently asked questions'] as const, ...pagePaths.map((p, i) => [p, knowledge.documents[i]?.title ?? p] as const)]
      .map(([href, label]) => `<li><a href="${href}">${escapeHtml(label)}</a></li>`).join('')}</ul>`),
    '/faq': page('Frequently asked questions', `<h1>Frequently asked questions</h1>\n${knowledge.faqs.map((faq) => `<h2>${escapeHtml(faq.question)}</h2>\n${paragraphs(faq.answer)}`).join('\n')}`),
  };
  knowledge.documents.forEach((document, index) => {
    routes[pagePaths[index] as string] = htmlPage(escapeHtml(document.title), `${nav}<main><h1>${escapeHtml(document.title)}</h1>\n${paragraphs(document.text)}</main>${footer}`);
  });
  return routes;
}
