import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_RATE_LIMIT_PREFIX } from './harness.js';

const MAIN_TS = fileURLToPath(new URL('../main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export interface AppProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` for the api role; empty for a worker. */
  baseUrl: string;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the real server (`main.ts`, from the TypeScript sources) as its own process — the way production
 * runs it — so tests can kill it, restart its database under it, or run several side by side.
 */
export async function startAppProcess(role: 'api' | 'worker', env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--conditions=fc-source', '--import', 'tsx', MAIN_TS, '--role', role], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', FC_SEED_DEMO: 'false', FC_RATE_LIMIT_PREFIX: TEST_RATE_LIMIT_PREFIX, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start in time:\n${output}`)), START_TIMEOUT_MS);
    const onData = (data: Buffer): void => {
      output += data.toString('utf8');
      const match = role === 'api' ? /listening on (http:\/\/[^\s]+)/.exec(output) : /delivery worker .* started/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(role === 'api' ? (match[1] as string).replace('0.0.0.0', '127.0.0.1') : '');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => {
      output += data.toString('utf8');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited with ${code} before it was ready:\n${output}`));
    });
  });
  const baseUrl = await ready;
  return {
    child,
    baseUrl,
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}
