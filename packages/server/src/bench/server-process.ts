import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalAppOptions } from './local-app.js';

/**
 * Runs the app under test in a child process, so the load generator (autocannon, in the bench process)
 * and the server do not share one event loop: what is measured is the server, as in production.
 */

export interface ServerProcess {
  baseUrl: string;
  /** A bare Fastify JSON GET route in the same process: the floor for any route of the app. */
  bareUrl: string;
  databaseKind: 'sqlite' | 'postgres';
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

// The compiled bench runs dist/bench/bench-server.js; under tsx the sources run, so keep this file's extension.
const SERVER_ENTRY = fileURLToPath(new URL(`./bench-server${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts the app in a child process on 127.0.0.1 (fresh database) and resolves once it listens. */
export async function startServerProcess(options: LocalAppOptions): Promise<ServerProcess> {
  const child = fork(SERVER_ENTRY, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.execArgv });
  const started = new Promise<{ baseUrl: string; bareUrl: string; databaseKind: 'sqlite' | 'postgres' }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bench server did not start in time')), START_TIMEOUT_MS);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as { baseUrl: string; bareUrl: string; databaseKind: 'sqlite' | 'postgres' });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bench server exited with code ${code} before listening`));
    });
  });
  try {
    const { baseUrl, bareUrl, databaseKind } = await started;
    return {
      baseUrl,
      bareUrl,
      databaseKind,
      async stop() {
        // Disconnecting the IPC channel asks the server to close (and drop its scratch database) and exit.
        if (child.connected) child.disconnect();
        if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
          child.kill('SIGKILL');
          await once(child, 'exit');
        }
      },
    };
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
}
