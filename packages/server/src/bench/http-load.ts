import autocannon from 'autocannon';

/** HTTP load with autocannon, bounded in time and refused for anything but this machine. */

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  durationSeconds: number;
  connections?: number;
  headers?: Record<string, string>;
  /** Varies each request (a new visitor, another question); `sequence` counts from 0. */
  buildRequest?: (sequence: number) => { body?: string; headers?: Record<string, string> };
}

export interface LoadStats {
  /** Successful (2xx) responses per second over the run. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  succeeded: number;
  /** How long the load ran, in seconds. */
  durationSeconds: number;
  /** Responses that were not 2xx (a 429 here means a rate limit was not raised for the bench). */
  non2xx: number;
  errors: number;
}

const DEFAULT_CONNECTIONS = 10;
const MAX_DURATION_SECONDS = 20;

/** Runs autocannon against a 127.0.0.1 URL for `durationSeconds` (at most 20). */
export async function runLoad(options: LoadOptions): Promise<LoadStats> {
  const target = new URL(options.url);
  // The bench generates load, so it may only ever aim at this machine.
  if (target.hostname !== '127.0.0.1') throw new Error(`bench load must target 127.0.0.1, not ${target.hostname}`);
  if (!(options.durationSeconds > 0 && options.durationSeconds <= MAX_DURATION_SECONDS)) throw new Error(`bench load runs 0–${MAX_DURATION_SECONDS} s`);
  let sequence = 0;
  const { buildRequest } = options;
  const result = await autocannon({
    url: options.url,
    method: options.method,
    connections: options.connections ?? DEFAULT_CONNECTIONS,
    duration: options.durationSeconds,
    headers: options.headers ?? {},
    ...(buildRequest
      ? {
          requests: [{
            setupRequest: (request: autocannon.Request) => {
              const built = buildRequest(sequence);
              sequence += 1;
              return { ...request, ...(built.body === undefined ? {} : { body: built.body }), headers: { ...request.headers, ...built.headers } };
            },
          }],
        }
      : {}),
  });
  return {
    requestsPerSecond: result.duration > 0 ? result['2xx'] / result.duration : 0,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    succeeded: result['2xx'],
    durationSeconds: result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/**
 * Adds up runs of the same load (rounds interleaved with a baseline's, so a neighbour's burst on a shared
 * machine hits both alike): throughput over the total time, the median of the rounds' p50 and, to stay on
 * the safe side, the worst of their p99.
 */
export function combineRounds(rounds: readonly LoadStats[]): LoadStats {
  const succeeded = rounds.reduce((sum, r) => sum + r.succeeded, 0);
  const durationSeconds = rounds.reduce((sum, r) => sum + r.durationSeconds, 0);
  const p50s = rounds.map((r) => r.p50Ms).sort((a, b) => a - b);
  return {
    requestsPerSecond: durationSeconds > 0 ? succeeded / durationSeconds : 0,
    p50Ms: p50s[Math.floor((p50s.length - 1) / 2)] ?? 0,
    p99Ms: Math.max(0, ...rounds.map((r) => r.p99Ms)),
    succeeded,
    durationSeconds,
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}

/** "p50 1.2 ms, p99 8.0 ms" plus any failures. */
export function describeLatency(stats: LoadStats): string {
  const failures = stats.non2xx + stats.errors > 0 ? `, ${stats.non2xx} non-2xx, ${stats.errors} errors` : '';
  return `p50 ${stats.p50Ms.toFixed(1)} ms, p99 ${stats.p99Ms.toFixed(1)} ms${failures}`;
}
