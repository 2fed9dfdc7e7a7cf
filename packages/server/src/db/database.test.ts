import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';

describe('the SQLite database file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is readable by its owner only, and so are its WAL files, whether new or left world-readable before', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fc-db-mode-'));
    dirs.push(dir);
    const existing = path.join(dir, 'old.db');
    writeFileSync(existing, '', { mode: 0o644 });
    for (const file of [path.join(dir, 'new.db'), existing]) {
      const database = openDatabase({ kind: 'sqlite', file });
      await sql`create table if not exists t (x integer)`.execute(database.db);
      await sql`insert into t values (1)`.execute(database.db);
      for (const name of [file, `${file}-wal`, `${file}-shm`]) expect(statSync(name).mode & 0o777, name).toBe(0o600);
      await database.close();
    }
  });
});
