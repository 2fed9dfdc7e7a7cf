import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  it('uses the documented defaults and generates a secret key into the data dir once', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'fc-config-'));
    const config = loadConfig({ FC_DATA_DIR: dataDir });
    expect(config).toMatchObject({ port: 3000, host: '0.0.0.0', deliveryWorker: 'inline', allowPrivateWebhookTargets: false, redisUrl: null, seedDemo: null });
    expect(config.database).toEqual({ kind: 'sqlite', file: path.join(dataDir, 'fusionchatalyst.db') });
    expect(config.secretKey).toHaveLength(32);
    const keyFile = path.join(dataDir, 'secret.key');
    expect(statSync(keyFile).mode & 0o077).toBe(0);
    expect(loadConfig({ FC_DATA_DIR: dataDir }).secretKey.equals(config.secretKey)).toBe(true);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(config.secretKey.toString('base64'));
  });

  it('marks the session cookie Secure when the public URL is https, unless FC_COOKIE_SECURE says otherwise', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'fc-config-'));
    const secure = (env: Record<string, string>) => loadConfig({ FC_DATA_DIR: dataDir, ...env }).cookieSecure;
    expect(secure({})).toBe(false);
    expect(secure({ FC_PUBLIC_URL: 'http://localhost:3000' })).toBe(false);
    expect(secure({ FC_PUBLIC_URL: 'https://chat.example.com' })).toBe(true);
    expect(secure({ FC_PUBLIC_URL: 'HTTPS://Chat.Example.com/portal' })).toBe(true);
    expect(secure({ FC_PUBLIC_URL: 'https://chat.example.com', FC_COOKIE_SECURE: 'false' })).toBe(false);
    expect(secure({ FC_PUBLIC_URL: 'http://localhost:3000', FC_COOKIE_SECURE: 'true' })).toBe(true);
  });

  it('refuses to start listing every bad setting at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', FC_DELIVERY_WORKER: 'sometimes', FC_RETRY_SCHEDULE: '1s,soon', FC_SECRET_KEY: 'short', FC_SEED_DEMO: 'maybe', REDIS_URL: 'http://x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'FC_DELIVERY_WORKER', 'FC_RETRY_SCHEDULE', 'FC_SECRET_KEY', 'FC_SEED_DEMO', 'REDIS_URL']) {
      expect(problems).toContain(name);
    }
  });

  it('reads PostgreSQL and sqlite: URLs and retry schedules', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'fc-config-'));
    expect(loadConfig({ FC_DATA_DIR: dataDir, DATABASE_URL: 'postgres://u@127.0.0.1/db' }).database).toEqual({ kind: 'postgres', url: 'postgres://u@127.0.0.1/db' });
    expect(loadConfig({ FC_DATA_DIR: dataDir, DATABASE_URL: 'sqlite:/tmp/x.db' }).database).toEqual({ kind: 'sqlite', file: '/tmp/x.db' });
    expect(loadConfig({ FC_DATA_DIR: dataDir, FC_RETRY_SCHEDULE: '500ms, 1s,5m,2h,1d' }).retryScheduleMs).toEqual([500, 1_000, 300_000, 7_200_000, 86_400_000]);
  });
});
