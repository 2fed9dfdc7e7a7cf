import { parse } from 'csv-parse/sync';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount } from '../../test/harness.js';
import { leadsToCsv, toSafeCell, toSpreadsheetPhone } from './leads-csv.js';

describe('leads CSV', () => {
  it('writes E.164 phones so no spreadsheet reads a formula or a number, with no quote to show, and they parse back', () => {
    const cases: [string, string][] = [
      ['+15125550199', '(+1) 512-555-0199'],
      ['+447700900123', '(+44) 7700 900123'],
      ['+4915123456789', '(+49) 1512 3456789'],
      ['+33612345678', '(+33) 6 12 34 56 78'],
    ];
    for (const [e164, shown] of cases) {
      expect(toSpreadsheetPhone(e164)).toBe(shown);
      expect(shown).not.toMatch(/^[=+\-@\t\r']/);
      expect(parsePhoneNumberFromString(shown)?.number).toBe(e164);
    }
  });

  it('keeps formula safety for everything else, phones that are not E.164 included', () => {
    expect(toSafeCell('=HYPERLINK("https://evil.example","x")')).toBe('\'=HYPERLINK("https://evil.example","x")');
    expect(toSafeCell('@SUM(A1)')).toBe('\'@SUM(A1)');
    expect(toSafeCell('-2+3')).toBe('\'-2+3');
    expect(toSafeCell('Olivia')).toBe('Olivia');
    expect(toSpreadsheetPhone('+1 512 =cmd|\' /C calc\'!A0')).toBe('\'+1 512 =cmd|\' /C calc\'!A0');
    expect(toSpreadsheetPhone('+15125550199=1+1')).toBe('\'+15125550199=1+1');
    expect(toSpreadsheetPhone('=1+1')).toBe('\'=1+1');
    expect(toSpreadsheetPhone('555-0199')).toBe('555-0199');
    expect(toSpreadsheetPhone(null)).toBe('');
  });

  it('exports a lead captured in a chat with its phone in that form', async () => {
    const ctx = await createTestApp();
    try {
      const account = await signUpAccount(ctx.app);
      const bot = await createChatbotFor(ctx.app, account, { name: 'Crumb Bot' });
      const say = async (message: string, thread?: { conversationId: string; conversationToken: string }) => (await ctx.app.inject({
        method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: bot.id, visitorId: 'csv-visitor', message, ...thread },
      })).json<{ conversationId: string; conversationToken: string }>();
      const first = await say('I want to order a wedding cake, I am Jo Jones');
      await say('my phone is 512-555-0199 and email jones@example.com', { conversationId: first.conversationId, conversationToken: first.conversationToken });
      const response = await ctx.app.inject({ method: 'GET', url: '/api/portal/leads/export.csv', headers: account.headers });
      expect(response.statusCode).toBe(200);
      const rows = parse(response.body, { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ phone: '(+1) 512-555-0199', email: 'jones@example.com' });
      expect(leadsToCsv([])).toBe('id,created_at,name,email,phone,intent,chatbot_id,conversation_id\n');
    } finally {
      await ctx.close();
    }
  });
});
