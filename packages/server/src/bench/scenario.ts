/**
 * What a bench scenario is. Machines are noisy and shared, so a scenario never reports a bare number on
 * its own: every measurement comes with a baseline measured in the same run, on the same machine, and the
 * ratio between the two is the figure to compare across runs and machines.
 */

export interface BenchContext {
  /** A `postgres://` URL to create scratch schemas in, or null when PostgreSQL is not available. */
  postgresUrl: string | null;
  /** Progress output (goes to stderr so the results on stdout stay a clean table). */
  log(message: string): void;
}

export interface BenchMeasurement {
  /** What was measured, e.g. "chat turns/s (sqlite)". */
  label: string;
  value: number;
  unit: string;
  /** The reference measured in the same run, e.g. GET /api/health on the same server. */
  baseline: { label: string; value: number };
  /**
   * value / baseline.value. For throughput higher is better (1 = as fast as the baseline); for latency
   * lower is better (1 = as fast as the baseline).
   */
  ratio: number;
  /** Extra figures worth printing beside it (latency percentiles, errors). */
  detail?: string;
}

export type BenchOutcome =
  | { status: 'measured'; measurements: BenchMeasurement[]; notes: string[] }
  | { status: 'skipped'; reason: string };

export interface BenchScenario {
  /** The name on the command line: `npm run bench -- <name>`. */
  name: string;
  /** One line for `npm run bench -- --list`. */
  summary: string;
  /** Part of a plain `npm run bench`; such scenarios must finish in about 20 seconds. */
  isDefault: boolean;
  run(context: BenchContext): Promise<BenchOutcome>;
}

/** Builds a measurement, computing the ratio. */
export function measure(label: string, value: number, unit: string, baseline: { label: string; value: number }, detail?: string): BenchMeasurement {
  return { label, value, unit, baseline, ratio: baseline.value > 0 ? value / baseline.value : Number.NaN, ...(detail === undefined ? {} : { detail }) };
}
