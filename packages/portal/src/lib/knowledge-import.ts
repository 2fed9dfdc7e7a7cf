import Papa from 'papaparse';

/**
 * Bulk import of knowledge (contract section 6): a JSON file (`{faqs, documents}` or a plain array) or a CSV
 * with a `question,answer` header (or `title,text` for documents). Parsed and checked in the browser first so
 * the customer sees every bad row before anything is sent; the server checks again and refuses the whole
 * import if any row is bad, so nothing is half-imported.
 */

export const MAX_QUESTION_CHARS = 1_000;
export const MAX_ANSWER_CHARS = 10_000;
export const MAX_TITLE_CHARS = 200;
export const MAX_DOCUMENT_CHARS = 200_000;
export const MAX_IMPORT_FAQS = 5_000;
export const MAX_IMPORT_DOCUMENTS = 200;

export interface ImportRow {
  kind: 'faq' | 'document';
  /** Index within its list (faqs[i] / documents[i]) as the API names it. */
  index: number;
  /** Where the customer finds the row: "row 3" of the CSV, "item 2" of the JSON. */
  label: string;
  first: string;
  second: string;
  errors: string[];
}

export interface ImportPreview {
  rows: ImportRow[];
  /** Problems with the file as a whole (unreadable, wrong header, too many rows). */
  fileErrors: string[];
}

function checkText(value: unknown, name: string, max: number, errors: string[]): string {
  if (typeof value !== 'string' && typeof value !== 'number') {
    errors.push(`${name} is missing`);
    return '';
  }
  const text = String(value);
  if (text.trim() === '') errors.push(`${name} is empty`);
  else if (text.length > max) errors.push(`${name} is longer than ${max.toLocaleString('en-US')} characters`);
  return text;
}

function toFaqRow(raw: unknown, index: number, label: string): ImportRow {
  const errors: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { kind: 'faq', index, label, first: '', second: '', errors: ['is not an object with question and answer'] };
  }
  const row = raw as Record<string, unknown>;
  const first = checkText(row.question, 'question', MAX_QUESTION_CHARS, errors);
  const second = checkText(row.answer, 'answer', MAX_ANSWER_CHARS, errors);
  return { kind: 'faq', index, label, first, second, errors };
}

function toDocumentRow(raw: unknown, index: number, label: string): ImportRow {
  const errors: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { kind: 'document', index, label, first: '', second: '', errors: ['is not an object with title and text'] };
  }
  const row = raw as Record<string, unknown>;
  const first = checkText(row.title, 'title', MAX_TITLE_CHARS, errors);
  const second = checkText(row.text, 'text', MAX_DOCUMENT_CHARS, errors);
  return { kind: 'document', index, label, first, second, errors };
}

function isDocumentLike(item: unknown): boolean {
  return typeof item === 'object' && item !== null && ('text' in item || 'title' in item) && !('question' in item);
}

/** Parses a JSON import file. */
export function parseJsonImport(text: string): ImportPreview {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { rows: [], fileErrors: [`The file is not valid JSON: ${(error as Error).message}`] };
  }
  let faqs: unknown[] = [];
  let documents: unknown[] = [];
  if (Array.isArray(data)) {
    // A plain array: FAQ pairs and documents told apart by their keys.
    faqs = data.filter((item) => !isDocumentLike(item));
    documents = data.filter(isDocumentLike);
  } else if (typeof data === 'object' && data !== null) {
    const object = data as Record<string, unknown>;
    const unknownKeys = Object.keys(object).filter((key) => key !== 'faqs' && key !== 'documents');
    if (unknownKeys.length > 0 || (object.faqs === undefined && object.documents === undefined)) {
      return { rows: [], fileErrors: ['Expected {"faqs": [{"question", "answer"}], "documents": [{"title", "text"}]} or a list of such items.'] };
    }
    if (object.faqs !== undefined && !Array.isArray(object.faqs)) return { rows: [], fileErrors: ['"faqs" must be a list.'] };
    if (object.documents !== undefined && !Array.isArray(object.documents)) return { rows: [], fileErrors: ['"documents" must be a list.'] };
    faqs = (object.faqs as unknown[] | undefined) ?? [];
    documents = (object.documents as unknown[] | undefined) ?? [];
  } else {
    return { rows: [], fileErrors: ['Expected a JSON object or list.'] };
  }
  const rows = [
    ...faqs.map((raw, i) => toFaqRow(raw, i, `FAQ ${i + 1}`)),
    ...documents.map((raw, i) => toDocumentRow(raw, i, `document ${i + 1}`)),
  ];
  return { rows, fileErrors: limitErrors(faqs.length, documents.length) };
}

/** Parses a CSV import file: `question,answer` rows, or `title,text` rows for documents. */
export function parseCsvImport(text: string): ImportPreview {
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: 'greedy' });
  const [header, ...records] = parsed.data;
  const columns = (header ?? []).map((cell) => cell.trim().toLowerCase());
  const isFaq = columns.length === 2 && columns[0] === 'question' && columns[1] === 'answer';
  const isDocument = columns.length === 2 && columns[0] === 'title' && columns[1] === 'text';
  if (!isFaq && !isDocument) {
    return { rows: [], fileErrors: ['The first row must be the header "question,answer" (or "title,text" for documents).'] };
  }
  const rows = records.map((cells, i) => {
    // Row numbers as a spreadsheet shows them: the header is row 1.
    const label = `row ${i + 2}`;
    const raw = isFaq ? { question: cells[0]?.trim(), answer: cells[1]?.trim() } : { title: cells[0]?.trim(), text: cells[1]?.trim() };
    const row = isFaq ? toFaqRow(raw, i, label) : toDocumentRow(raw, i, label);
    if (cells.length !== 2) row.errors.unshift(`has ${cells.length} columns, expected 2`);
    return row;
  });
  const fileErrors = parsed.errors.filter((e) => e.row === undefined).map((e) => e.message);
  return { rows, fileErrors: [...fileErrors, ...limitErrors(isFaq ? rows.length : 0, isDocument ? rows.length : 0)] };
}

function limitErrors(faqs: number, documents: number): string[] {
  const errors: string[] = [];
  if (faqs > MAX_IMPORT_FAQS) errors.push(`At most ${MAX_IMPORT_FAQS.toLocaleString('en-US')} FAQ rows per import (this file has ${faqs}).`);
  if (documents > MAX_IMPORT_DOCUMENTS) errors.push(`At most ${MAX_IMPORT_DOCUMENTS} documents per import (this file has ${documents}).`);
  if (faqs + documents === 0) errors.push('The file has no rows to import.');
  return errors;
}

/** Parses an upload by its name (".csv" or ".json"), sniffing the content when the name says neither. */
export function parseImportFile(fileName: string, text: string): ImportPreview {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.json')) return parseJsonImport(text);
  if (lower.endsWith('.csv')) return parseCsvImport(text);
  return /^\s*[[{]/.test(text) ? parseJsonImport(text) : parseCsvImport(text);
}

/** The JSON body for `POST …/knowledge/import`. */
export function toImportBody(rows: ImportRow[]): { faqs: { question: string; answer: string }[]; documents: { title: string; text: string }[] } {
  return {
    faqs: rows.filter((r) => r.kind === 'faq').map((r) => ({ question: r.first.trim(), answer: r.second.trim() })),
    documents: rows.filter((r) => r.kind === 'document').map((r) => ({ title: r.first.trim(), text: r.second.trim() })),
  };
}

/**
 * Attaches the server's row errors (`faqs[3].answer is required`) to the preview rows, for the rare case the
 * server refuses what the browser accepted.
 */
export function applyServerRowErrors(rows: ImportRow[], fieldErrors: { field: string; message: string }[]): { rows: ImportRow[]; unmatched: string[] } {
  const unmatched: string[] = [];
  const next = rows.map((row) => ({ ...row, errors: [...row.errors] }));
  for (const fe of fieldErrors) {
    const match = /(faqs|documents)\[(\d+)\](?:\.(\w+))?/.exec(fe.field);
    const target = match ? next.find((r) => r.kind === (match[1] === 'faqs' ? 'faq' : 'document') && r.index === Number(match[2])) : undefined;
    if (target && match) target.errors.push(`${match[3] ?? 'row'} ${fe.message}`);
    else unmatched.push(`${fe.field} ${fe.message}`);
  }
  return { rows: next, unmatched };
}
