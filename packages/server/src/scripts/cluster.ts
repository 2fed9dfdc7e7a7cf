import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm run cluster -- --api 2 --workers 2`: a scaled-out set on one machine for a trial — N API processes
 * (delivery off) on consecutive ports and M delivery workers, all on DATABASE_URL (PostgreSQL) and REDIS_URL.
 * Production runs the same two commands under a process manager instead (see the README's deployment notes).
 */

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

function readCount(args: readonly string[], flag: string, fallback: number): number {
  const index = args.indexOf(flag);
  if (index === -1) return fallback;
  const value = Number(args[index + 1]);
  if (!Number.isInteger(value) || value < 0 || value > 32) {
    console.error(`${flag} needs a number from 0 to 32`);
    process.exit(64);
  }
  return value;
}

function main(): void {
  const args = process.argv.slice(2);
  const apiCount = readCount(args, '--api', 2);
  const workerCount = readCount(args, '--workers', 1);
  const basePort = Number(process.env.PORT ?? 3000);
  const databaseUrl = process.env.DATABASE_URL ?? '';
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    console.error('npm run cluster needs DATABASE_URL=postgres://… (several processes share one PostgreSQL; SQLite is for one process).');
    process.exit(64);
  }
  if (!process.env.REDIS_URL) console.warn('REDIS_URL is unset: each API process keeps its own rate-limit counters and live updates stay within one process.');

  const children: ChildProcess[] = [];
  const launch = (name: string, extraArgs: string[], env: Record<string, string>): void => {
    const child = spawn(process.execPath, [MAIN, ...extraArgs], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const prefix = (data: Buffer): string => data.toString('utf8').split('\n').filter(Boolean).map((line) => `[${name}] ${line}`).join('\n');
    child.stdout?.on('data', (data: Buffer) => console.log(prefix(data)));
    child.stderr?.on('data', (data: Buffer) => console.error(prefix(data)));
    child.on('exit', (code, signal) => console.log(`[${name}] exited (${signal ?? code})`));
    children.push(child);
  };

  for (let i = 0; i < apiCount; i += 1) {
    const port = basePort + i;
    launch(`api-${i + 1}`, ['--role', 'api'], { PORT: String(port), FC_DELIVERY_WORKER: 'off' });
    console.log(`api-${i + 1}: http://127.0.0.1:${port}`);
  }
  for (let i = 0; i < workerCount; i += 1) launch(`worker-${i + 1}`, ['--role', 'worker'], {});

  const stop = (signal: NodeJS.Signals): void => {
    for (const child of children) child.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main();
