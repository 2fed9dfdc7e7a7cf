import { describe, expect, it } from 'vitest';
import { columnsToRows, DEFAULT_SHEET_COLUMNS, parseSpreadsheetInput, readKeyFile, rowsToColumns } from './sheets-form';

describe('Google Sheets form', () => {
  it('takes the spreadsheet id from a pasted address or the id itself', () => {
    const id = '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc';
    expect(parseSpreadsheetInput(`https://docs.google.com/spreadsheets/d/${id}/edit#gid=0`)).toBe(id);
    expect(parseSpreadsheetInput(`  https://docs.google.com/spreadsheets/u/1/d/${id}/edit?usp=sharing `)).toBe(id);
    expect(parseSpreadsheetInput(id)).toBe(id);
    expect(parseSpreadsheetInput('https://example.com/not-a-sheet')).toBeNull();
    expect(parseSpreadsheetInput('short')).toBeNull();
  });

  it('reads whose key file it is and says what is wrong with one that is not', () => {
    const file = { type: 'service_account', client_email: 'fc@acme.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n', private_key_id: 'abc' };
    expect(readKeyFile(JSON.stringify(file))).toEqual({ key: { text: JSON.stringify(file), clientEmail: 'fc@acme.iam.gserviceaccount.com', privateKeyId: 'abc' } });
    expect(readKeyFile('{oops')).toEqual({ error: expect.stringMatching(/not JSON/) });
    expect(readKeyFile(JSON.stringify({ ...file, type: 'authorized_user' }))).toEqual({ error: expect.stringMatching(/not a service-account key/) });
    expect(readKeyFile(JSON.stringify({ ...file, private_key: undefined }))).toEqual({ error: expect.stringMatching(/no private key/) });
  });

  it('keeps the columns in the order of the rows and refuses the fixed headers', () => {
    const rows = columnsToRows([{ header: 'Name', value: 'lead.name' }, { header: '1', value: { const: 'x' } }, ...DEFAULT_SHEET_COLUMNS.slice(1, 2)]);
    expect(rowsToColumns(rows)).toEqual({ columns: [{ header: 'Name', value: 'lead.name' }, { header: '1', value: { const: 'x' } }, { header: 'Email', value: 'lead.email' }], errors: {} });
    const bad = rowsToColumns([...rows, { key: 'Event ID', kind: 'path', value: 'lead.id', constType: 'string' }, { key: 'Email', kind: 'path', value: 'lead.phone', constType: 'string' }]);
    expect(bad.errors).toEqual({ 3: expect.stringMatching(/always written/), 4: '"Email" is used twice.' });
  });
});
