import { generateKeyPairSync } from 'node:crypto';
import type { EventContext } from '@fc/contracts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { startFakeGoogle, type FakeGoogle } from '../../test/fake-google.js';
import { appendEvent } from '../events/events.service.js';
import { createDeliveryWorker, type DeliveryWorker } from '../../worker.js';
import { createGoogleSheetsClient, TOKEN_REFRESH_MARGIN_MS } from './google-sheets.client.js';
import { FIXED_HEADERS } from './sheets-columns.js';

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const SA_EMAIL = 'fc-sheets@acme-project.iam.gserviceaccount.com';
const SPREADSHEET_ID = '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdef';

function makeKeyFile(tokenUri: string, email = SA_EMAIL): { file: Record<string, string>; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    file: {
      type: 'service_account', project_id: 'acme-project', private_key_id: 'f00dfeed1234',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: email, client_id: '1234567890',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth', token_uri: tokenUri,
    },
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

describe('Google Sheets destinations', () => {
  let fake: FakeGoogle;
  let ctx: TestContext;
  let account: TestAccount;
  let chatbot: { id: string; name: string };
  let keyFile: Record<string, string>;
  let worker: DeliveryWorker | null = null;

  beforeAll(async () => {
    fake = await startFakeGoogle();
    const key = makeKeyFile(fake.tokenUri);
    keyFile = key.file;
    fake.addServiceAccount(SA_EMAIL, key.publicKeyPem);
    ctx = await createTestApp({ FC_GOOGLE_SHEETS_BASE_URL: fake.url, FC_SHEETS_BATCH_MS: '300', FC_RETRY_SCHEDULE: '100ms,100ms,100ms,100ms' });
    account = await signUpAccount(ctx.app);
    chatbot = await createChatbotFor(ctx.app, account, { name: 'Acme Bot' });
  });
  afterAll(async () => {
    await ctx.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.setAppendBehaviour(() => 'ok');
    fake.setTokenBehaviour(() => 'ok');
  });
  afterEach(async () => {
    await worker?.stop(200);
    worker = null;
    await ctx.database.db.deleteFrom('webhooks').where('customer_id', '=', account.customerId).execute();
  });

  function startWorker(): void {
    worker = createDeliveryWorker({ db: ctx.database.db, config: ctx.config, log: quietLog, pollIntervalMs: 20, sweepIdleConversations: false });
    worker.start();
  }

  async function createSheet(body: Record<string, unknown> = {}, tab = 'Leads') {
    const spreadsheetId = `${SPREADSHEET_ID}${Math.random().toString(36).slice(2, 8)}`;
    const sheet = fake.addSpreadsheet(spreadsheetId, { title: 'Acme leads', tabs: [tab, 'Notes'], sharedWith: [SA_EMAIL] });
    const response = await ctx.app.inject({
      method: 'POST', url: '/api/portal/integrations/sheets', headers: account.headers,
      payload: { serviceAccountKey: keyFile, spreadsheetId: `https://docs.google.com/spreadsheets/d/${spreadsheetId}/edit#gid=0`, tabName: tab, ...body },
    });
    expect(response.statusCode, response.body).toBe(201);
    return { view: response.json<{ id: string; header: string[]; serviceAccountEmail: string; spreadsheetId: string }>(), sheet, spreadsheetId };
  }

  async function queueLead(name: string, email: string, owner: { account: TestAccount; chatbot: { id: string; name: string } } = { account, chatbot }): Promise<string> {
    const context: EventContext = {
      customer: { id: owner.account.customerId, name: 'Acme' }, chatbot: owner.chatbot,
      conversation: { id: 'conv_sheetsTest01', intent: 'request_quote', startedAt: new Date().toISOString(), messageCount: 4, firstMessage: 'Hi', transcript: [] },
      visitor: { id: 'v1', pageUrl: 'https://acme.example.com/quote', referrer: null, locale: 'en-US' },
      lead: { id: 'lead_sheetsTest01', name, email, phone: '+15125550123', intent: 'request_quote' },
    };
    const { eventId } = await ctx.database.db.transaction().execute((trx) => appendEvent(trx, {
      customerId: owner.account.customerId, chatbotId: owner.chatbot.id, conversationId: 'conv_sheetsTest01', type: 'lead.captured', context,
    }));
    return eventId;
  }

  async function deliveriesOf(id: string, who: TestAccount = account) {
    const response = await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${id}/deliveries`, headers: who.headers });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ items: { id: string; status: string; attempts: number; eventId: string; lastStatusCode: number | null; lastError: string | null }[] }>().items;
  }

  async function waitForDeliveries(id: string, count: number, status = 'succeeded') {
    for (let i = 0; i < 400; i += 1) {
      const items = await deliveriesOf(id);
      if (items.length >= count && items.every((d) => d.status === status)) return items;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`deliveries never reached ${status}: ${JSON.stringify(await deliveriesOf(id))}`);
  }

  it('validates the key file and never answers the private key', async () => {
    const bad = await ctx.app.inject({
      method: 'POST', url: '/api/portal/integrations/sheets', headers: account.headers,
      payload: { serviceAccountKey: { ...keyFile, type: 'authorized_user', private_key: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n', client_email: 'nope' }, spreadsheetId: SPREADSHEET_ID, tabName: 'Leads' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    const fields = bad.json<{ errors: { field: string }[] }>().errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['serviceAccountKey.type', 'serviceAccountKey.client_email', 'serviceAccountKey.private_key']));
    const notJson = await ctx.app.inject({ method: 'POST', url: '/api/portal/integrations/sheets', headers: account.headers, payload: { serviceAccountKey: '{oops', spreadsheetId: SPREADSHEET_ID, tabName: 'Leads' } });
    expect(notJson.json().errors[0]).toMatchObject({ field: 'serviceAccountKey' });
    const badColumns = await ctx.app.inject({
      method: 'POST', url: '/api/portal/integrations/sheets', headers: account.headers,
      payload: { serviceAccountKey: keyFile, spreadsheetId: SPREADSHEET_ID, tabName: 'Leads', columns: [{ header: 'Email', value: 'lead.mail' }, { header: 'Event ID', value: 'lead.id' }] },
    });
    expect(badColumns.statusCode).toBe(400);
    expect(badColumns.json().errors.map((e: { field: string }) => e.field)).toEqual(['columns[0].value', 'columns[1].header']);

    const { view } = await createSheet({ columns: [{ header: 'Name', value: 'lead.name' }, { header: 'Summary', value: '{{lead.name}} via {{chatbot.name}}' }] });
    expect(view).toMatchObject({ serviceAccountEmail: SA_EMAIL, header: [...FIXED_HEADERS, 'Name', 'Summary'] });
    expect(JSON.stringify(view)).not.toContain('PRIVATE KEY');
    // The address Google shows someone signed in to several accounts (…/spreadsheets/u/1/d/<id>/…) works too.
    const multiAccount = await ctx.app.inject({
      method: 'PATCH', url: `/api/portal/integrations/sheets/${view.id}`, headers: account.headers, payload: { spreadsheetId: `https://docs.google.com/spreadsheets/u/1/d/${SPREADSHEET_ID}/edit?usp=sharing` },
    });
    expect(multiAccount.json()).toMatchObject({ spreadsheetId: SPREADSHEET_ID });
    const listed = await ctx.app.inject({ method: 'GET', url: '/api/portal/integrations/sheets', headers: account.headers });
    expect(listed.json().items.map((i: { id: string }) => i.id)).toEqual([view.id]);
    expect(listed.body).not.toContain('PRIVATE KEY');
  });

  it('"Test connection" appends nothing and says what is wrong in plain words', async () => {
    const { view, sheet, spreadsheetId } = await createSheet();
    const test = async () => (await ctx.app.inject({ method: 'POST', url: `/api/portal/integrations/sheets/${view.id}/test-connection`, headers: account.headers })).json<{ ok: boolean; problems: string[]; notes: string[]; tabs: string[] }>();

    const good = await test();
    expect(good.ok).toBe(true);
    expect(good.problems).toEqual([]);
    expect(good.notes.join(' ')).toMatch(/Row 1 is empty/);

    sheet.sharedWith.clear();
    const notShared = await test();
    expect(notShared.ok).toBe(false);
    expect(notShared.problems[0]).toMatch(new RegExp(`not shared with the service account.*add ${SA_EMAIL.replaceAll('.', '\\.')} as an Editor`));
    sheet.sharedWith.add(SA_EMAIL);

    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/integrations/sheets/${view.id}`, headers: account.headers, payload: { tabName: 'Leeds' } });
    const noTab = await test();
    expect(noTab.problems[0]).toBe('The spreadsheet "Acme leads" has no tab named "Leeds". Its tabs are: "Leads", "Notes". Rename the tab or change the tab name here.');

    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/integrations/sheets/${view.id}`, headers: account.headers, payload: { tabName: 'Leads', spreadsheetId: 'ZZZ0000000000000000000' } });
    expect((await test()).problems[0]).toMatch(/no spreadsheet with the id "ZZZ0000000000000000000"/);

    // A key Google does not know (the fake verifies the JWT signature with the registered public key).
    const stranger = makeKeyFile(fake.tokenUri);
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/integrations/sheets/${view.id}`, headers: account.headers, payload: { spreadsheetId, serviceAccountKey: stranger.file } });
    const badKey = await test();
    expect(badKey.problems[0]).toMatch(/Google refused the service-account key \(invalid_grant: Invalid JWT Signature\.\)/);

    expect(fake.appends()).toHaveLength(0);
    expect(sheet.tabs.get('Leads')).toEqual([]);
  });

  it('"Send test row" appends one webhook.test row now (header first), logs it, and says why when it cannot', async () => {
    // Its own tab name: other tests count header writes to 'Leads' across the fake.
    const { view, sheet } = await createSheet({}, 'Test rows');
    const testRow = async () => ctx.app.inject({ method: 'POST', url: `/api/portal/integrations/sheets/${view.id}/test-row`, headers: account.headers });

    const sent = await testRow();
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json()).toMatchObject({ status: 'succeeded', statusCode: 200, error: null, deliveryId: expect.stringMatching(/^dlv_/) });
    const rows = sheet.tabs.get('Test rows')!;
    expect(rows[0]).toEqual(view.header);
    expect(rows).toHaveLength(2);
    expect(rows[1]!.slice(1, 2)).toEqual(['webhook.test']);
    expect(rows[1]![3]).not.toBe('');
    const log = await deliveriesOf(view.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ id: sent.json().deliveryId, status: 'succeeded' });

    // Not shared: the plain-words reason comes back, nothing is written, and it is not retried (a test is sent once).
    sheet.sharedWith.clear();
    const refused = (await testRow()).json<{ status: string; error: string }>();
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatch(/not shared with the service account/);
    expect(rows).toHaveLength(2);
    sheet.sharedWith.add(SA_EMAIL);

    // A webhook id is not a sheet, and another customer's sheet is not found.
    const other = await signUpAccount(ctx.app);
    expect((await ctx.app.inject({ method: 'POST', url: `/api/portal/integrations/sheets/${view.id}/test-row`, headers: other.headers })).statusCode).toBe(404);
  });

  it('batches several events into one RAW append, writes the header once, and keeps formulas as text', async () => {
    const { view, sheet } = await createSheet();
    const appendsBefore = fake.appends().length;
    const exchangesBefore = fake.tokenExchanges();
    const ids = [await queueLead('=HYPERLINK("x")', 'a@example.com'), await queueLead('Bob Builder', 'b@example.com'), await queueLead('Cy Twombly', 'c@example.com')];
    startWorker();
    await waitForDeliveries(view.id, 3);
    const appends = fake.appends().slice(appendsBefore);
    expect(appends).toHaveLength(1);
    expect(appends[0]!.query.get('valueInputOption')).toBe('RAW');
    expect(appends[0]!.query.get('insertDataOption')).toBe('INSERT_ROWS');
    const rows = sheet.tabs.get('Leads')!;
    expect(rows[0]).toEqual(view.header);
    // One row each (events of the same millisecond may come in either order).
    expect(rows.slice(1).map((row) => row[0]).sort()).toEqual([...ids].sort());
    expect(rows.find((row) => row[0] === ids[0])).toEqual([ids[0], 'lead.captured', expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), '=HYPERLINK("x")', 'a@example.com', '+15125550123', 'request_quote', 'Acme Bot', '', '', 'https://acme.example.com/quote', 'conv_sheetsTest01']);

    // A second batch: no second header, same token.
    const fourth = await queueLead('Dee Dee', 'd@example.com');
    await waitForDeliveries(view.id, 4);
    const headerWrites = fake.requests.filter((r) => r.method === 'PUT' && decodeURIComponent(r.path).includes("'Leads'!A1"));
    expect(headerWrites).toHaveLength(1);
    expect(rows.map((row) => row[0])).toEqual(['Event ID', ...rows.slice(1, 4).map((row) => row[0]), fourth]);
    expect(fake.tokenExchanges() - exchangesBefore).toBe(1);
    expect(fake.acceptedClaims.at(-1)).toMatchObject({ iss: SA_EMAIL, scope: 'https://www.googleapis.com/auth/spreadsheets', aud: fake.tokenUri });

    const detail = await ctx.app.inject({ method: 'GET', url: `/api/portal/deliveries/${(await deliveriesOf(view.id))[0]!.id}`, headers: account.headers });
    expect(detail.json().attempts[0]).toMatchObject({ statusCode: 200, outcome: 'success', responseExcerpt: expect.stringMatching(/^Appended 1 row at 'Leads'!A5/) });
  });

  it('never writes a row twice when an append\'s answer is lost, and re-checks the sheet', async () => {
    const { view, sheet } = await createSheet();
    fake.setAppendBehaviour((index) => (index === 0 ? 'write-then-reset' : 'ok'));
    const eventId = await queueLead('Lost Answer', 'lost@example.com');
    startWorker();
    const [delivery] = await waitForDeliveries(view.id, 1);
    expect(delivery!.attempts).toBe(2);
    const rows = sheet.tabs.get('Leads')!;
    expect(rows.filter((row) => row[0] === eventId)).toHaveLength(1);
    expect(fake.appends().filter((r) => r.body.includes(eventId))).toHaveLength(1);
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/portal/deliveries/${delivery!.id}`, headers: account.headers })).json<{ attempts: { outcome: string; error: string | null; responseExcerpt: string | null }[] }>();
    expect(detail.attempts[0]).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/Could not reach Google Sheets/) });
    expect(detail.attempts[1]!.responseExcerpt).toMatch(/already in the sheet/);

    // A re-send from the portal checks the sheet again and does not duplicate the row either.
    const resent = await ctx.app.inject({ method: 'POST', url: `/api/portal/deliveries/${delivery!.id}/resend`, headers: account.headers });
    expect(resent.statusCode).toBe(202);
    await waitForDeliveries(view.id, 1);
    for (let i = 0; i < 100 && (await deliveriesOf(view.id))[0]!.attempts < 3; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(rows.filter((row) => row[0] === eventId)).toHaveLength(1);
  });

  it('backs off on 429 as Google\'s Retry-After says, then writes each row once', async () => {
    const { view, sheet } = await createSheet();
    fake.setAppendBehaviour((index) => (index === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 429, message: 'Quota exceeded for quota metric \'Write requests\'', status: 'RESOURCE_EXHAUSTED' } } } : 'ok'));
    const appendsBefore = fake.appends().length;
    const eventId = await queueLead('Rate Limited', 'rl@example.com');
    startWorker();
    const [delivery] = await waitForDeliveries(view.id, 1);
    const appends = fake.appends().slice(appendsBefore);
    expect(appends).toHaveLength(2);
    expect(appends[1]!.at - appends[0]!.at).toBeGreaterThanOrEqual(950);
    expect(sheet.tabs.get('Leads')!.filter((row) => row[0] === eventId)).toHaveLength(1);
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/portal/deliveries/${delivery!.id}`, headers: account.headers })).json<{ attempts: { statusCode: number; error: string | null }[] }>();
    expect(detail.attempts.map((a) => a.statusCode)).toEqual([429, 200]);
    expect(detail.attempts[0]!.error).toMatch(/rate-limiting this service account \(429/);
  });

  it('writes the row of a lead captured in a real chat', async () => {
    const leadBot = await createChatbotFor(ctx.app, account, {
      name: 'Quote Bot', settings: { leadCapture: { enabled: true, fields: ['name', 'email', 'phone'], requiredFields: ['name', 'phone'], intents: ['request_quote'] } },
    });
    const { view, sheet } = await createSheet({ chatbotId: leadBot.id, events: ['lead.captured'] });
    startWorker();
    const chat = (payload: Record<string, unknown>) => ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: leadBot.id, visitorId: 'sheets-visitor', ...payload } });
    const first = (await chat({ message: 'Can I get a quote for a new water heater?' })).json<{ conversationId: string; conversationToken: string }>();
    for (const message of ['Jane Smith', 'jane@example.com', 'my phone is (512) 555-0123']) {
      await chat({ message, conversationId: first.conversationId, conversationToken: first.conversationToken });
    }
    await waitForDeliveries(view.id, 1);
    const [header, row] = sheet.tabs.get('Leads')!;
    expect(header).toEqual(view.header);
    expect(row!.slice(1, 8)).toEqual(['lead.captured', expect.any(String), 'Jane Smith', 'jane@example.com', '+15125550123', 'request_quote', 'Quote Bot']);
    expect(row![11]).toBe(first.conversationId);
  });

  it('keeps retrying (not shared yet) and delivers once the sheet is shared', async () => {
    const { view, sheet } = await createSheet();
    sheet.sharedWith.clear();
    await queueLead('Patient Person', 'pp@example.com');
    startWorker();
    for (let i = 0; i < 200; i += 1) {
      const [d] = await deliveriesOf(view.id);
      if (d && d.attempts >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const [retrying] = await deliveriesOf(view.id);
    expect(retrying).toMatchObject({ lastStatusCode: 403, lastError: expect.stringMatching(/not shared/) });
    sheet.sharedWith.add(SA_EMAIL);
    await waitForDeliveries(view.id, 1);
    expect(sheet.tabs.get('Leads')!.map((row) => row[3])).toEqual(['Name', 'Patient Person']);
  });

  it('reuses an access token until shortly before it expires', async () => {
    const { spreadsheetId } = await createSheet();
    const client = createGoogleSheetsClient({ baseUrl: fake.url, allowPrivate: true });
    const before = fake.tokenExchanges();
    // Tokens that live 2 s past the refresh margin: reused at once, replaced after 2 s.
    fake.tokenLifetimeS = TOKEN_REFRESH_MARGIN_MS / 1_000 + 2;
    const account = { clientEmail: SA_EMAIL, privateKey: keyFile.private_key as string, privateKeyId: 'f00dfeed1234', tokenUri: fake.tokenUri, throttleKey: 'cus_test:gs_test' };
    try {
      await client.getSpreadsheet(account, spreadsheetId);
      await client.getSpreadsheet(account, spreadsheetId);
      await Promise.all([client.getAccessToken(account), client.getAccessToken(account)]);
      expect(fake.tokenExchanges() - before).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      await client.getSpreadsheet(account, spreadsheetId);
      expect(fake.tokenExchanges() - before).toBe(2);
    } finally {
      fake.tokenLifetimeS = 3_600;
      await client.close();
    }
  });

  it('keeps another customer who names the same service account from stalling this customer\'s rows', async () => {
    // Customer B knows A's service-account e-mail (it is shown to anyone the sheet is shared with) and uploads
    // a key file of their own with it. Their token requests are answered 429 "come back in a day".
    const intruder = await signUpAccount(ctx.app);
    const intruderBot = await createChatbotFor(ctx.app, intruder, { name: 'Intruder Bot' });
    const hostile = { ...makeKeyFile(fake.tokenUri, SA_EMAIL).file, private_key_id: 'intruder-key' };
    fake.setTokenBehaviour(({ header }) => (header.kid === 'intruder-key' ? { status: 429, headers: { 'retry-after': '86400' } } : 'ok'));
    const intruderSheetId = `${SPREADSHEET_ID}intruder`;
    fake.addSpreadsheet(intruderSheetId, { title: 'Intruder', tabs: ['Leads'], sharedWith: [SA_EMAIL] });
    const created = await ctx.app.inject({
      method: 'POST', url: '/api/portal/integrations/sheets', headers: intruder.headers,
      payload: { serviceAccountKey: hostile, spreadsheetId: intruderSheetId, tabName: 'Leads' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const intruderSheet = created.json<{ id: string }>();
    try {
      startWorker();
      await queueLead('Intruder Lead', 'x@example.com', { account: intruder, chatbot: intruderBot });
      for (let i = 0; i < 200 && ((await deliveriesOf(intruderSheet.id, intruder))[0]?.attempts ?? 0) < 1; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
      expect((await deliveriesOf(intruderSheet.id, intruder))[0]).toMatchObject({ attempts: 1, lastStatusCode: 429 });

      // A's rows still go out at once: the back-off belongs to B's destination, not to the e-mail address.
      const { view, sheet } = await createSheet();
      const eventId = await queueLead('Owner Lead', 'owner@example.com');
      await waitForDeliveries(view.id, 1);
      expect(sheet.tabs.get('Leads')!.map((row) => row[0])).toEqual(['Event ID', eventId]);
    } finally {
      await ctx.database.db.deleteFrom('webhooks').where('customer_id', '=', intruder.customerId).execute();
    }
  });

  it('accepts a token_uri only on Google\'s token hosts (or the configured Sheets origin) and changes nothing otherwise', async () => {
    const { view } = await createSheet();
    const stored = async () => ctx.database.db.selectFrom('sheets_destinations').select(['token_uri', 'client_email']).where('customer_id', '=', account.customerId).execute();
    const before = await stored();
    for (const tokenUri of [
      'https://evil.example.com/token', 'http://oauth2.googleapis.com/token', 'https://oauth2.googleapis.com.evil.example/token',
      'https://oauth2.googleapis.com:8443/token', 'https://evil@oauth2.googleapis.com/token', 'https://googleapis.com/token',
    ]) {
      const create = await ctx.app.inject({
        method: 'POST', url: '/api/portal/integrations/sheets', headers: account.headers,
        payload: { serviceAccountKey: { ...keyFile, token_uri: tokenUri }, spreadsheetId: SPREADSHEET_ID, tabName: 'Leads' },
      });
      expect(create.statusCode, tokenUri).toBe(400);
      expect(create.headers['content-type']).toContain('application/problem+json');
      expect(create.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'serviceAccountKey.token_uri' }] });
      const update = await ctx.app.inject({
        method: 'PATCH', url: `/api/portal/integrations/sheets/${view.id}`, headers: account.headers,
        payload: { serviceAccountKey: { ...keyFile, client_email: 'other@evil-project.iam.gserviceaccount.com', token_uri: tokenUri } },
      });
      expect(update.statusCode, tokenUri).toBe(400);
      expect(update.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'serviceAccountKey.token_uri' }] });
    }
    expect(await stored()).toEqual(before);
    for (const tokenUri of ['https://oauth2.googleapis.com/token', 'https://accounts.google.com/o/oauth2/token']) {
      const update = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/integrations/sheets/${view.id}`, headers: account.headers, payload: { serviceAccountKey: { ...keyFile, token_uri: tokenUri } } });
      expect(update.statusCode, tokenUri).toBe(200);
    }
  });

  it('does not call a token_uri outside Google\'s hosts even when one was stored before the rule', async () => {
    const elsewhere = await startFakeGoogle();
    const client = createGoogleSheetsClient({ baseUrl: fake.url, allowPrivate: true });
    try {
      const stored = { clientEmail: SA_EMAIL, privateKey: keyFile.private_key as string, privateKeyId: null, tokenUri: elsewhere.tokenUri, throttleKey: 'cus_x:gs_x' };
      await expect(client.getAccessToken(stored)).rejects.toMatchObject({ kind: 'blocked_token_uri' });
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await client.close();
      await elsewhere.close();
    }
  });

  it('refuses a token_uri on a private address unless private targets are allowed', async () => {
    const strict = await createTestApp({ FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'false' });
    try {
      const owner = await signUpAccount(strict.app);
      const response = await strict.app.inject({
        method: 'POST', url: '/api/portal/integrations/sheets', headers: owner.headers,
        payload: { serviceAccountKey: { ...keyFile, token_uri: 'http://169.254.169.254/token' }, spreadsheetId: SPREADSHEET_ID, tabName: 'Leads' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0]).toMatchObject({ field: 'serviceAccountKey.token_uri', message: expect.stringMatching(/metadata|link-local/) });
    } finally {
      await strict.close();
    }
  });
});
