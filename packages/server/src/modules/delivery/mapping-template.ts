import { toWireTime } from '../../lib/time.js';

/**
 * The tiny template language of field mappings: `text {{ path | filter:"arg" | filter }} text`.
 * Templates are parsed into a small AST and evaluated against the parsed event context — values are never
 * spliced into JSON text, so a visitor typing `"}` or `{{` into the chat cannot change the payload's shape.
 *
 * Filters (all null-safe: a missing value stays null unless `default` replaces it):
 * - `default:<literal>` — the literal (JSON string, number, true, false or null) when the value is null,
 *   missing or the empty string;
 * - `upper`, `lower`, `trim` — on strings (numbers and booleans are stringified first; others untouched);
 * - `join:"<sep>"` — joins an array with the separator (default `", "`); non-arrays pass through;
 * - `date:"iso"|"date"|"unix"` — an ISO timestamp (or epoch milliseconds) as `2026-05-03T14:22:08Z`,
 *   `2026-05-03` or unix seconds (a number); unparseable input becomes null.
 */

export type FilterName = 'default' | 'upper' | 'lower' | 'trim' | 'join' | 'date';
export type JsonLiteral = string | number | boolean | null;

export interface TemplateFilter {
  name: FilterName;
  arg: JsonLiteral | undefined;
}

export interface TemplateExpression {
  /** A whitelisted source path, e.g. `lead.email`, as segments. */
  path: readonly string[];
  filters: readonly TemplateFilter[];
}

export type TemplatePart = string | TemplateExpression;

export interface ParsedTemplate {
  parts: readonly TemplatePart[];
  /** Set when the whole template is exactly one `{{…}}`: the result then keeps the expression's type. */
  single: TemplateExpression | null;
}

export type PathChecker = (path: string) => string | null;

export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

const FILTER_NAMES: readonly FilterName[] = ['default', 'upper', 'lower', 'trim', 'join', 'date'];
const DATE_FORMATS = ['iso', 'date', 'unix'] as const;
// JSON literal grammar: raw control characters are not allowed inside JSON strings.
// eslint-disable-next-line no-control-regex
const LITERAL_PATTERN = /^(?:"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"|-?\d+(?:\.\d+)?|true|false|null)/;
const FILTER_NAME_PATTERN = /^[a-z]+/;
const PATH_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/;

/** True when a mapping string is a template rather than a bare source path. */
export function isTemplate(text: string): boolean {
  return text.includes('{{');
}

function parseExpression(source: string, checkPath: PathChecker): TemplateExpression {
  let rest = source.trim();
  const pathMatch = PATH_PATTERN.exec(rest);
  if (!pathMatch) throw new TemplateSyntaxError(`expected a source path inside {{ }}, got "${source.trim()}"`);
  const pathText = pathMatch[0];
  const pathProblem = checkPath(pathText);
  if (pathProblem !== null) throw new TemplateSyntaxError(pathProblem);
  rest = rest.slice(pathText.length).trimStart();
  const filters: TemplateFilter[] = [];
  while (rest !== '') {
    if (!rest.startsWith('|')) throw new TemplateSyntaxError(`unexpected "${rest}" after ${pathText}; filters start with "|"`);
    rest = rest.slice(1).trimStart();
    const nameMatch = FILTER_NAME_PATTERN.exec(rest);
    const name = nameMatch?.[0] ?? '';
    if (!(FILTER_NAMES as readonly string[]).includes(name)) {
      throw new TemplateSyntaxError(`unknown filter "${name || rest}"; use one of ${FILTER_NAMES.join(', ')}`);
    }
    rest = rest.slice(name.length).trimStart();
    let arg: JsonLiteral | undefined;
    if (rest.startsWith(':')) {
      rest = rest.slice(1).trimStart();
      const literal = LITERAL_PATTERN.exec(rest);
      if (!literal) throw new TemplateSyntaxError(`filter "${name}" needs a quoted string, number, true, false or null after ":"`);
      arg = JSON.parse(literal[0]) as JsonLiteral;
      rest = rest.slice(literal[0].length).trimStart();
    }
    filters.push(checkFilter(name as FilterName, arg));
  }
  return { path: pathText.split('.'), filters };
}

function checkFilter(name: FilterName, arg: JsonLiteral | undefined): TemplateFilter {
  switch (name) {
    case 'default':
      if (arg === undefined) throw new TemplateSyntaxError('filter "default" needs a value, e.g. default:"unknown"');
      break;
    case 'join':
      if (arg !== undefined && typeof arg !== 'string') throw new TemplateSyntaxError('filter "join" takes a quoted separator, e.g. join:", "');
      break;
    case 'date':
      if (arg !== undefined && !(DATE_FORMATS as readonly JsonLiteral[]).includes(arg)) {
        throw new TemplateSyntaxError('filter "date" takes "iso", "date" or "unix"');
      }
      break;
    default:
      if (arg !== undefined) throw new TemplateSyntaxError(`filter "${name}" takes no argument`);
  }
  return { name, arg };
}

/** Finds the `}}` closing an expression, skipping quoted filter arguments (`join:"}}"`). */
function findClose(text: string, from: number): number {
  let inString = false;
  for (let i = from; i < text.length; i += 1) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '}' && text[i + 1] === '}') return i;
  }
  return -1;
}

/** Parses a template; `checkPath` returns a message for a path that is not allowed. Throws TemplateSyntaxError. */
export function parseTemplate(text: string, checkPath: PathChecker): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let index = 0;
  while (index < text.length) {
    const open = text.indexOf('{{', index);
    if (open === -1) {
      parts.push(text.slice(index));
      break;
    }
    if (open > index) parts.push(text.slice(index, open));
    const close = findClose(text, open + 2);
    if (close === -1) throw new TemplateSyntaxError('"{{" is never closed with "}}"');
    parts.push(parseExpression(text.slice(open + 2, close), checkPath));
    index = close + 2;
  }
  const only = parts.length === 1 ? parts[0] : undefined;
  return { parts, single: only !== undefined && typeof only !== 'string' ? only : null };
}

function toDate(value: unknown): Date | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function stringifyScalar(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

function applyFilter(value: unknown, filter: TemplateFilter): unknown {
  const missing = value === null || value === undefined;
  switch (filter.name) {
    case 'default':
      return missing || value === '' ? filter.arg : value;
    case 'upper':
    case 'lower':
    case 'trim': {
      const text = stringifyScalar(value);
      if (typeof text !== 'string') return missing ? null : value;
      if (filter.name === 'upper') return text.toUpperCase();
      if (filter.name === 'lower') return text.toLowerCase();
      return text.trim();
    }
    case 'join':
      if (!Array.isArray(value)) return missing ? null : value;
      return value.map((item) => renderText(item)).join(typeof filter.arg === 'string' ? filter.arg : ', ');
    case 'date': {
      if (missing) return null;
      const date = toDate(value);
      if (date === null) return null;
      if (filter.arg === 'unix') return Math.floor(date.getTime() / 1_000);
      if (filter.arg === 'date') return date.toISOString().slice(0, 10);
      return toWireTime(date.toISOString());
    }
  }
}

/** Text form of a value inside a larger template: strings as-is, missing as "", objects and arrays as JSON. */
function renderText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/** Evaluates one expression: `resolve` reads a path from the context (null when absent). */
export function evaluateExpression(expression: TemplateExpression, resolve: (path: readonly string[]) => unknown): unknown {
  let value = resolve(expression.path);
  for (const filter of expression.filters) value = applyFilter(value, filter);
  return value === undefined ? null : value;
}

/** Evaluates a parsed template: a single expression keeps its type, anything else becomes a string. */
export function evaluateTemplate(template: ParsedTemplate, resolve: (path: readonly string[]) => unknown): unknown {
  if (template.single !== null) return evaluateExpression(template.single, resolve);
  return template.parts
    .map((part) => (typeof part === 'string' ? part : renderText(evaluateExpression(part, resolve))))
    .join('');
}
