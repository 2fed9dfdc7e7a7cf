import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { stringify } from 'csv-stringify/sync';

/**
 * The leads CSV is read by people in spreadsheets (Excel, Google Sheets, Numbers, LibreOffice), which treat a
 * cell that starts with = + - @ (or a tab / carriage return) as a formula. Free text that starts so gets a
 * leading apostrophe (OWASP's advice) so a lead named "=HYPERLINK(…)" stays text.
 *
 * Phones are E.164 ("+15125550199"), which starts with "+": quoted, spreadsheets showed "'+15125550199";
 * unquoted, they read it as the number 15125550199 (the plus lost, and 12+ digits shown as 4.47701E+11).
 * So an E.164 phone is written in international format with the country code in brackets,
 * "(+1) 512-555-0199" / "(+44) 7700 900123": it starts with "(", so no spreadsheet takes it for a formula or a
 * number, it needs no quote, people and phone apps read it, and libphonenumber (and CRMs' importers) parse it
 * back to the same E.164. The API, webhooks, Zapier and Google Sheets keep E.164.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const E164 = /^\+[1-9]\d{6,14}$/;

/** Free text made safe for a spreadsheet cell. */
export function toSafeCell(value: string | null): string {
  if (value === null) return '';
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** A lead's phone as a spreadsheet shows it cleanly: "(+1) 512-555-0199"; anything not E.164 as safe text. */
export function toSpreadsheetPhone(value: string | null): string {
  if (value === null || !E164.test(value)) return toSafeCell(value);
  const phone = parsePhoneNumberFromString(value);
  if (!phone?.isPossible()) return toSafeCell(value);
  // "+1 512 555 0199" → national grouping after the calling code; the US/CA style dash reads better there.
  const national = phone.formatInternational().slice(`+${phone.countryCallingCode} `.length);
  const grouped = phone.countryCallingCode === '1' ? national.replace(/^(\d{3}) (\d{3}) (\d{4})$/, '$1-$2-$3') : national;
  return `(+${phone.countryCallingCode}) ${grouped}`;
}

export interface CsvLead {
  id: string;
  createdAt: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  intent: string | null;
  chatbotId: string;
  conversationId: string;
}

/** The leads export, one row per lead. */
export function leadsToCsv(leads: readonly CsvLead[]): string {
  return stringify(leads.map((l) => [l.id, l.createdAt, toSafeCell(l.name), toSafeCell(l.email), toSpreadsheetPhone(l.phone), l.intent ?? '', l.chatbotId, l.conversationId]), {
    header: true, columns: ['id', 'created_at', 'name', 'email', 'phone', 'intent', 'chatbot_id', 'conversation_id'],
  });
}
