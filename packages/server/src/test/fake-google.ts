import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Google's OAuth token endpoint and the Sheets API v4 (the calls we make), on
 * 127.0.0.1. It checks what Google checks: the JWT bearer assertion's RS256 signature against the public
 * half of the service account's key, and its claims (iss, scope, aud, iat/exp); bearer tokens on every
 * Sheets call; sharing; tab names in ranges; and it refuses appends that are not RAW / INSERT_ROWS. It
 * records every request and every appended row.
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  at: number;
}

export interface FakeSpreadsheet {
  title: string;
  /** Service-account emails the sheet is shared with (as Editor). */
  sharedWith: Set<string>;
  tabs: Map<string, unknown[][]>;
}

export type AppendBehaviour = 'ok' | { status: number; headers?: Record<string, string>; body?: unknown } | 'write-then-reset';
/** How a token request is answered, decided from the assertion's JWT header and claims (before any check). */
export type TokenBehaviour = 'ok' | { status: number; headers?: Record<string, string>; body?: unknown };

export interface FakeGoogle {
  url: string;
  tokenUri: string;
  requests: FakeRequest[];
  spreadsheets: Map<string, FakeSpreadsheet>;
  /** Registers a service account by the public half of its key. */
  addServiceAccount(email: string, publicKeyPem: string): void;
  addSpreadsheet(id: string, sheet: { title: string; tabs: string[]; sharedWith: string[] }): FakeSpreadsheet;
  /** How the n-th append (0-based) is answered; default 'ok'. */
  setAppendBehaviour(decide: (index: number) => AppendBehaviour): void;
  setTokenBehaviour(decide: (jwt: { header: Record<string, unknown>; claims: Record<string, unknown> }) => TokenBehaviour): void;
  /** Seconds the issued tokens live (expires_in). */
  tokenLifetimeS: number;
  tokenExchanges(): number;
  appends(): FakeRequest[];
  /** Claim sets of every assertion it accepted. */
  acceptedClaims: Record<string, unknown>[];
  close(): Promise<void>;
}

const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}

function googleError(res: ServerResponse, status: number, message: string, statusText: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: { code: status, message, status: statusText } }, headers);
}

function parseRange(raw: string): { tab: string; cells: string } | null {
  const quoted = /^'((?:[^']|'')+)'!(.+)$/.exec(raw);
  if (quoted) return { tab: (quoted[1] as string).replaceAll("''", "'"), cells: quoted[2] as string };
  const plain = /^([^!]+)!(.+)$/.exec(raw);
  return plain ? { tab: plain[1] as string, cells: plain[2] as string } : null;
}

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeGoogle(): Promise<FakeGoogle> {
  const requests: FakeRequest[] = [];
  const publicKeys = new Map<string, KeyObject>();
  const tokens = new Map<string, { email: string; expiresAtMs: number }>();
  const spreadsheets = new Map<string, FakeSpreadsheet>();
  const acceptedClaims: Record<string, unknown>[] = [];
  let appendIndex = 0;
  let appendBehaviour: (index: number) => AppendBehaviour = () => 'ok';
  let tokenBehaviour: (jwt: { header: Record<string, unknown>; claims: Record<string, unknown> }) => TokenBehaviour = () => 'ok';
  let exchanges = 0;
  let baseUrl = '';

  function handleToken(req: FakeRequest, res: ServerResponse): void {
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type.' });
    const [header64, claims64, signature64] = (form.get('assertion') ?? '').split('.');
    if (!header64 || !claims64 || !signature64) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT.' });
    const header = JSON.parse(Buffer.from(header64, 'base64url').toString('utf8')) as { alg?: string };
    const claims = JSON.parse(Buffer.from(claims64, 'base64url').toString('utf8')) as { iss?: string; scope?: string; aud?: string; iat?: number; exp?: number };
    const behaviour = tokenBehaviour({ header, claims });
    if (behaviour !== 'ok') {
      return send(res, behaviour.status, behaviour.body ?? { error: 'rate_limit_exceeded', error_description: 'fake token error' }, behaviour.headers);
    }
    const key = publicKeys.get(claims.iss ?? '');
    if (header.alg !== 'RS256' || !key) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const isSigned = verify('sha256', Buffer.from(`${header64}.${claims64}`), key, Buffer.from(signature64, 'base64url'));
    if (!isSigned) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const nowS = Date.now() / 1_000;
    if (claims.aud !== `${baseUrl}/token`) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe' });
    if (!(claims.scope ?? '').split(' ').includes(SHEETS_SCOPE)) return send(res, 400, { error: 'invalid_scope', error_description: 'Invalid OAuth scope.' });
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp <= nowS || claims.exp - claims.iat > 3_600 || claims.iat > nowS + 60) {
      return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe' });
    }
    exchanges += 1;
    acceptedClaims.push(claims);
    const token = `ya29.fake-${exchanges}`;
    tokens.set(token, { email: claims.iss as string, expiresAtMs: Date.now() + fake.tokenLifetimeS * 1_000 });
    send(res, 200, { access_token: token, expires_in: fake.tokenLifetimeS, token_type: 'Bearer' });
  }

  function handleSheets(req: FakeRequest, raw: IncomingMessage, res: ServerResponse): void {
    const token = /^Bearer (.+)$/.exec(raw.headers.authorization ?? '')?.[1] ?? '';
    const session = tokens.get(token);
    if (!session || session.expiresAtMs <= Date.now()) return googleError(res, 401, 'Request had invalid authentication credentials.', 'UNAUTHENTICATED');
    const match = /^\/v4\/spreadsheets\/([^/]+)(?:\/values\/(.+))?$/.exec(req.path);
    if (!match) return googleError(res, 404, 'Not found', 'NOT_FOUND');
    const spreadsheet = spreadsheets.get(decodeURIComponent(match[1] as string));
    if (!spreadsheet) return googleError(res, 404, 'Requested entity was not found.', 'NOT_FOUND');
    if (!spreadsheet.sharedWith.has(session.email)) return googleError(res, 403, 'The caller does not have permission', 'PERMISSION_DENIED');
    if (match[2] === undefined) {
      return send(res, 200, { properties: { title: spreadsheet.title }, sheets: [...spreadsheet.tabs.keys()].map((title) => ({ properties: { title } })) });
    }
    const isAppend = match[2].endsWith(':append');
    const rangeText = decodeURIComponent(isAppend ? match[2].slice(0, -':append'.length) : match[2]);
    const range = parseRange(rangeText);
    const rows = range ? spreadsheet.tabs.get(range.tab) : undefined;
    if (!range || !rows) return googleError(res, 400, `Unable to parse range: ${rangeText}`, 'INVALID_ARGUMENT');

    if (req.method === 'GET') {
      if (range.cells === '1:1') return send(res, 200, { range: rangeText, majorDimension: 'ROWS', ...(rows[0] && rows[0].length > 0 ? { values: [rows[0]] } : {}) });
      if (range.cells === 'A:A' && req.query.get('majorDimension') === 'COLUMNS') {
        const column = rows.map((row) => row[0] ?? '');
        return send(res, 200, { range: rangeText, majorDimension: 'COLUMNS', ...(column.length > 0 ? { values: [column] } : {}) });
      }
      return googleError(res, 400, `fake does not serve range ${rangeText}`, 'INVALID_ARGUMENT');
    }
    if (req.query.get('valueInputOption') !== 'RAW') return googleError(res, 400, 'valueInputOption must be RAW here', 'INVALID_ARGUMENT');
    const values = (JSON.parse(req.body) as { values?: unknown[][] }).values ?? [];
    if (req.method === 'PUT' && range.cells === 'A1') {
      rows[0] = values[0] ?? [];
      return send(res, 200, { updatedRange: `${rangeText}`, updatedRows: 1 });
    }
    if (req.method === 'POST' && isAppend) {
      if (req.query.get('insertDataOption') !== 'INSERT_ROWS') return googleError(res, 400, 'insertDataOption must be INSERT_ROWS here', 'INVALID_ARGUMENT');
      const behaviour = appendBehaviour(appendIndex);
      appendIndex += 1;
      if (behaviour !== 'ok' && behaviour !== 'write-then-reset') {
        res.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers });
        res.end(JSON.stringify(behaviour.body ?? { error: { code: behaviour.status, message: 'fake error', status: 'ERROR' } }));
        return;
      }
      const first = rows.length + 1;
      // An empty row 1 is where a table starts; Sheets appends after the last row with data.
      for (const row of values) rows.push(row);
      if (behaviour === 'write-then-reset') {
        raw.socket.destroy();
        return;
      }
      return send(res, 200, { spreadsheetId: match[1], updates: { updatedRange: `${quoteTab(range.tab)}!A${first}:Z${rows.length}`, updatedRows: values.length } });
    }
    return googleError(res, 400, 'unsupported call', 'INVALID_ARGUMENT');
  }

  const server = createServer((raw, res) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const url = new URL(raw.url ?? '/', 'http://fake.local');
      const req: FakeRequest = { method: raw.method ?? '', path: url.pathname, query: url.searchParams, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      requests.push(req);
      if (req.method === 'POST' && req.path === '/token') handleToken(req, res);
      else handleSheets(req, raw, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeGoogle = {
    url: baseUrl,
    tokenUri: `${baseUrl}/token`,
    requests,
    spreadsheets,
    acceptedClaims,
    tokenLifetimeS: 3_600,
    addServiceAccount(email, publicKeyPem) {
      publicKeys.set(email, createPublicKey(publicKeyPem));
    },
    addSpreadsheet(id, sheet) {
      const created: FakeSpreadsheet = { title: sheet.title, sharedWith: new Set(sheet.sharedWith), tabs: new Map(sheet.tabs.map((tab) => [tab, []])) };
      spreadsheets.set(id, created);
      return created;
    },
    setAppendBehaviour(decide) {
      appendBehaviour = decide;
      appendIndex = 0;
    },
    setTokenBehaviour(decide) {
      tokenBehaviour = decide;
    },
    tokenExchanges: () => exchanges,
    appends: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith(':append')),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function quoteTab(tab: string): string {
  return `'${tab.replaceAll("'", "''")}'`;
}
