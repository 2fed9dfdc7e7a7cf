import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseRetrySchedule } from './modules/delivery/retry-schedule.js';

/**
 * The only reader of `process.env`. Parses every setting, collects every problem, and refuses to start
 * with the whole list rather than the first one (contract section 8).
 */
export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string };

export type DeliveryWorkerMode = 'inline' | 'off';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface AppConfig {
  port: number;
  host: string;
  database: DatabaseConfig;
  redisUrl: string | null;
  /** Prefix of rate-limit keys in Redis, so several deployments (or test runs) can share one Redis. */
  rateLimitPrefix: string;
  secretKey: Buffer;
  allowPrivateWebhookTargets: boolean;
  deliveryWorker: DeliveryWorkerMode;
  dataDir: string;
  retryScheduleMs: number[] | null;
  /** How long a worker owns a claimed delivery; a crashed worker's deliveries are re-sent after it. */
  deliveryLeaseMs: number;
  /** Deliveries one worker process sends at once (each destination is also capped on its own). */
  deliveryConcurrency: number;
  /** Google Sheets API origin (FC_GOOGLE_SHEETS_BASE_URL); tests point it at a local fake. */
  googleSheetsBaseUrl: string;
  /** How long rows for one sheet gather before they go out as one append (FC_SHEETS_BATCH_MS). */
  sheetsBatchMs: number;
  seedDemo: boolean | null;
  logLevel: LogLevel;
  trustProxy: boolean;
  /** Mark the session cookie `Secure`: FC_COOKIE_SECURE, else true when FC_PUBLIC_URL is https. */
  cookieSecure: boolean;
  publicUrl: string | null;
  scryptLogN: number;
  version: string;
  /** Where site owners learn about our crawler (FC_CRAWLER_CONTACT_URL); named in its User-Agent. */
  crawlerContactUrl: string;
  /** SMTP for "new escalation" e-mails (FC_SMTP_*); null when FC_SMTP_HOST is unset: no e-mails. */
  smtp: SmtpConfig | null;
}

export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS (port 465); other ports upgrade with STARTTLS when the server offers it. */
  secure: boolean;
  user: string | null;
  password: string | null;
  from: string;
}

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const SECRET_KEY_BYTES = 32;
const SECRET_KEY_FILE = 'secret.key';
const DEFAULT_CRAWLER_CONTACT_URL = 'https://fusionchatalyst.com/bot';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Record<string, string | undefined>;

function parseBoolean(name: string, raw: string | undefined, problems: string[]): boolean | null {
  if (raw === undefined || raw === '') return null;
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  problems.push(`${name} must be true or false (got "${raw}")`);
  return null;
}

function parseInteger(name: string, raw: string | undefined, bounds: { min: number; max: number; fallback: number }, problems: string[]): number {
  if (raw === undefined || raw.trim() === '') return bounds.fallback;
  const value = Number(raw.trim());
  if (Number.isInteger(value) && value >= bounds.min && value <= bounds.max) return value;
  problems.push(`${name} must be a whole number from ${bounds.min} to ${bounds.max} (got "${raw}")`);
  return bounds.fallback;
}

function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function loadOrCreateSecretKey(dataDir: string): Buffer {
  const file = path.join(dataDir, SECRET_KEY_FILE);
  if (existsSync(file)) return decodeSecretKey(readFileSync(file, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(SECRET_KEY_BYTES);
  // 0600: the key decrypts every stored webhook secret, so only the service user may read it.
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

function decodeSecretKey(raw: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== SECRET_KEY_BYTES) throw new Error('must be 32 bytes, as 64 hex characters or base64');
  return key;
}

/** Reads and validates the whole configuration; throws a ConfigError listing every bad setting. */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];

  const portRaw = env.PORT ?? '3000';
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) problems.push(`PORT must be a port number (got "${portRaw}")`);

  const host = env.HOST && env.HOST.trim() !== '' ? env.HOST.trim() : '0.0.0.0';
  const dataDir = path.resolve(env.FC_DATA_DIR && env.FC_DATA_DIR !== '' ? env.FC_DATA_DIR : './data');

  let database: DatabaseConfig = { kind: 'sqlite', file: path.join(dataDir, 'fusionchatalyst.db') };
  const databaseUrl = env.DATABASE_URL?.trim();
  if (databaseUrl) {
    if (/^postgres(ql)?:\/\//.test(databaseUrl)) database = { kind: 'postgres', url: databaseUrl };
    else if (databaseUrl.startsWith('sqlite:')) {
      const file = databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '');
      if (file === '') problems.push('DATABASE_URL sqlite:<path> needs a path');
      else database = { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(file) };
    } else problems.push('DATABASE_URL must start with postgres://, postgresql:// or sqlite:');
  }

  const redisUrl = env.REDIS_URL?.trim() || null;
  const rateLimitPrefix = env.FC_RATE_LIMIT_PREFIX?.trim() || 'fc-rl:';
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(rateLimitPrefix)) problems.push(`FC_RATE_LIMIT_PREFIX may hold only letters, digits, ":", "_" and "-" (got "${env.FC_RATE_LIMIT_PREFIX}")`);
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL must start with redis:// or rediss://');

  const allowPrivateWebhookTargets = parseBoolean('FC_ALLOW_PRIVATE_WEBHOOK_TARGETS', env.FC_ALLOW_PRIVATE_WEBHOOK_TARGETS, problems) ?? false;

  const workerRaw = (env.FC_DELIVERY_WORKER ?? 'inline').trim().toLowerCase();
  let deliveryWorker: DeliveryWorkerMode = 'inline';
  if (workerRaw === 'inline' || workerRaw === 'off') deliveryWorker = workerRaw;
  else problems.push(`FC_DELIVERY_WORKER must be "inline" or "off" (got "${env.FC_DELIVERY_WORKER}")`);

  let retryScheduleMs: number[] | null = null;
  if (env.FC_RETRY_SCHEDULE && env.FC_RETRY_SCHEDULE.trim() !== '') {
    try {
      retryScheduleMs = parseRetrySchedule(env.FC_RETRY_SCHEDULE);
    } catch (error) {
      problems.push(`FC_RETRY_SCHEDULE ${(error as Error).message}`);
    }
  }

  const deliveryLeaseMs = parseInteger('FC_DELIVERY_LEASE_SECONDS', env.FC_DELIVERY_LEASE_SECONDS, { min: 2, max: 3_600, fallback: 60 }, problems) * 1_000;
  const deliveryConcurrency = parseInteger('FC_DELIVERY_CONCURRENCY', env.FC_DELIVERY_CONCURRENCY, { min: 1, max: 1_000, fallback: 64 }, problems);

  let googleSheetsBaseUrl = 'https://sheets.googleapis.com';
  if (env.FC_GOOGLE_SHEETS_BASE_URL && env.FC_GOOGLE_SHEETS_BASE_URL.trim() !== '') {
    try {
      const url = new URL(env.FC_GOOGLE_SHEETS_BASE_URL.trim());
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
      googleSheetsBaseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    } catch {
      problems.push(`FC_GOOGLE_SHEETS_BASE_URL must be an http(s) URL (got "${env.FC_GOOGLE_SHEETS_BASE_URL}")`);
    }
  }
  const sheetsBatchMs = parseInteger('FC_SHEETS_BATCH_MS', env.FC_SHEETS_BATCH_MS, { min: 0, max: 60_000, fallback: 3_000 }, problems);

  const seedDemo = parseBoolean('FC_SEED_DEMO', env.FC_SEED_DEMO, problems);

  const logLevelRaw = (env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info')).trim().toLowerCase();
  let logLevel: LogLevel = 'info';
  if ((LOG_LEVELS as readonly string[]).includes(logLevelRaw)) logLevel = logLevelRaw as LogLevel;
  else problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${env.LOG_LEVEL}")`);

  const trustProxy = parseBoolean('FC_TRUST_PROXY', env.FC_TRUST_PROXY, problems) ?? false;
  let publicUrl: string | null = null;
  if (env.FC_PUBLIC_URL && env.FC_PUBLIC_URL.trim() !== '') {
    try {
      publicUrl = new URL(env.FC_PUBLIC_URL).origin;
    } catch {
      problems.push(`FC_PUBLIC_URL must be an absolute URL (got "${env.FC_PUBLIC_URL}")`);
    }
  }
  // A site served over https gets a Secure session cookie without a second setting to remember; FC_COOKIE_SECURE
  // still decides when set (e.g. true behind a TLS proxy with no public URL configured).
  const cookieSecure = parseBoolean('FC_COOKIE_SECURE', env.FC_COOKIE_SECURE, problems) ?? (publicUrl?.startsWith('https:') ?? false);

  let smtp: SmtpConfig | null = null;
  const smtpHost = env.FC_SMTP_HOST?.trim();
  if (smtpHost) {
    const smtpPort = parseInteger('FC_SMTP_PORT', env.FC_SMTP_PORT, { min: 1, max: 65_535, fallback: 587 }, problems);
    const from = env.FC_SMTP_FROM?.trim() ?? '';
    if (!/^[^@\s<>]+@[^@\s<>]+$|<[^@\s<>]+@[^@\s<>]+>$/.test(from)) problems.push(`FC_SMTP_FROM must be an e-mail address, e.g. "FusionChatalyst <alerts@example.com>" (got "${from}")`);
    const user = env.FC_SMTP_USER?.trim() || null;
    const password = env.FC_SMTP_PASSWORD ?? null;
    if (user && !password) problems.push('FC_SMTP_PASSWORD is required when FC_SMTP_USER is set');
    smtp = { host: smtpHost, port: smtpPort, secure: smtpPort === 465, user, password: user ? password : null, from };
  } else if (env.FC_SMTP_FROM || env.FC_SMTP_USER || env.FC_SMTP_PORT) {
    problems.push('FC_SMTP_HOST is required when other FC_SMTP_* settings are set');
  }

  let crawlerContactUrl = DEFAULT_CRAWLER_CONTACT_URL;
  if (env.FC_CRAWLER_CONTACT_URL && env.FC_CRAWLER_CONTACT_URL.trim() !== '') {
    const raw = env.FC_CRAWLER_CONTACT_URL.trim();
    try {
      const url = new URL(raw);
      if (url.protocol !== 'https:' && url.protocol !== 'http:' && url.protocol !== 'mailto:') throw new Error('scheme');
      // It goes into a request header: visible ASCII only.
      if (!/^[\x21-\x7e]+$/.test(url.href)) throw new Error('characters');
      crawlerContactUrl = url.href;
    } catch {
      problems.push(`FC_CRAWLER_CONTACT_URL must be an http(s) or mailto: URL without spaces (got "${raw}")`);
    }
  }

  const scryptLogNRaw = env.FC_SCRYPT_LOG_N ?? '17';
  const scryptLogN = Number(scryptLogNRaw);
  if (!Number.isInteger(scryptLogN) || scryptLogN < 10 || scryptLogN > 20) {
    problems.push(`FC_SCRYPT_LOG_N must be an integer from 10 to 20 (got "${scryptLogNRaw}")`);
  }

  let secretKey: Buffer = Buffer.alloc(0);
  if (env.FC_SECRET_KEY && env.FC_SECRET_KEY.trim() !== '') {
    try {
      secretKey = decodeSecretKey(env.FC_SECRET_KEY.trim());
    } catch (error) {
      problems.push(`FC_SECRET_KEY ${(error as Error).message}`);
    }
  } else if (problems.length === 0) {
    try {
      secretKey = loadOrCreateSecretKey(dataDir);
    } catch (error) {
      problems.push(`FC_SECRET_KEY is unset and ${path.join(dataDir, SECRET_KEY_FILE)} is unusable: ${(error as Error).message}`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port, host, database, redisUrl, rateLimitPrefix, secretKey, allowPrivateWebhookTargets, deliveryWorker, dataDir,
    retryScheduleMs, deliveryLeaseMs, deliveryConcurrency, googleSheetsBaseUrl, sheetsBatchMs, seedDemo, logLevel, trustProxy, cookieSecure, publicUrl, scryptLogN, version: readPackageVersion(), smtp, crawlerContactUrl,
  };
}
