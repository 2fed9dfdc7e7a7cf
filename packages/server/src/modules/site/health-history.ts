/** One health probe as the status page shows it. */
export interface HealthSample {
  at: string;
  status: 'ok' | 'degraded' | 'down';
  latencyMs: number;
}

export interface HealthHistory {
  record(sample: HealthSample): void;
  list(): HealthSample[];
  /** Share of `ok` samples taken since `sinceMs` (epoch ms), or null when there are none. */
  uptimeSince(sinceMs: number): number | null;
}

/**
 * A fixed-size ring of recent health samples, in memory and per process: it starts empty on every restart
 * and each API process keeps its own. A gap in the samples is itself information (the process was down).
 */
export function createHealthHistory(capacity: number): HealthHistory {
  const samples: HealthSample[] = [];
  return {
    record(sample) {
      samples.push(sample);
      if (samples.length > capacity) samples.splice(0, samples.length - capacity);
    },
    list() {
      return [...samples];
    },
    uptimeSince(sinceMs) {
      const recent = samples.filter((s) => Date.parse(s.at) >= sinceMs);
      if (recent.length === 0) return null;
      return recent.filter((s) => s.status === 'ok').length / recent.length;
    },
  };
}
