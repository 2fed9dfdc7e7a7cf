/**
 * `npm run bench [-- <scenario> ...]` runs the named scenarios (default: every default one, see
 * `npm run bench -- --list`) and prints each measurement as a ratio to a baseline measured in the same run.
 * Scenarios live in src/bench/registry.ts. All load goes to 127.0.0.1; PostgreSQL scenarios use
 * BENCH_DATABASE_URL, or postgres://postgres@127.0.0.1:5432/test when it answers, and are skipped otherwise.
 */
import { performance } from 'node:perf_hooks';
import { isPostgresReachable } from '../bench/local-app.js';
import { BENCH_SCENARIOS, findBenchScenario } from '../bench/registry.js';
import type { BenchContext, BenchMeasurement, BenchScenario } from '../bench/scenario.js';

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

// A script's own knobs are read here rather than in config.ts: they configure the bench, not the app.
async function resolvePostgresUrl(configured: string | undefined): Promise<string | null> {
  const url = configured?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('BENCH_DATABASE_URL must be a postgres:// URL');
    if (!(await isPostgresReachable(url))) throw new Error('BENCH_DATABASE_URL is set but PostgreSQL does not answer there');
    return url;
  }
  return (await isPostgresReachable(DEFAULT_POSTGRES_URL)) ? DEFAULT_POSTGRES_URL : null;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const size = Math.abs(value);
  if (size >= 100) return Math.round(value).toLocaleString('en-US');
  if (size >= 10) return value.toFixed(1);
  return size >= 1 || size === 0 ? value.toFixed(2) : value.toPrecision(3);
}

function formatMeasurement(m: BenchMeasurement): string {
  const value = `${formatNumber(m.value)} ${m.unit}`;
  const baseline = `${m.baseline.label} ${formatNumber(m.baseline.value)}`;
  return `  ${m.label.padEnd(30)} ${value.padStart(16)}   ratio ${formatNumber(m.ratio).padStart(6)}   (baseline: ${baseline})${m.detail ? `   ${m.detail}` : ''}`;
}

function selectScenarios(names: string[]): BenchScenario[] {
  if (names.length === 0) return BENCH_SCENARIOS.filter((s) => s.isDefault);
  return names.map((name) => {
    const scenario = findBenchScenario(name);
    if (!scenario) throw new Error(`unknown bench scenario "${name}"; known: ${BENCH_SCENARIOS.map((s) => s.name).join(', ')}`);
    return scenario;
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--list') || args.includes('--help')) {
    for (const s of BENCH_SCENARIOS) console.log(`${s.name.padEnd(16)} ${s.isDefault ? '(default) ' : ''}${s.summary}`);
    return;
  }
  const scenarios = selectScenarios(args.filter((a) => !a.startsWith('--')));
  const context: BenchContext = {
    postgresUrl: await resolvePostgresUrl(process.env.BENCH_DATABASE_URL),
    log: (message) => process.stderr.write(`  … ${message}\n`),
  };
  const summary: string[] = [];
  for (const scenario of scenarios) {
    const startedAt = performance.now();
    const outcome = await scenario.run(context);
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    if (outcome.status === 'skipped') {
      console.log(`== ${scenario.name}: skipped (${outcome.reason})`);
      continue;
    }
    console.log(`== ${scenario.name} (${seconds} s)`);
    for (const m of outcome.measurements) console.log(formatMeasurement(m));
    for (const note of outcome.notes) console.log(`    ${note}`);
    summary.push(...outcome.measurements.map((m) => `  ${scenario.name.padEnd(16)} ${`${m.label} / ${m.baseline.label}`.padEnd(62)} ${formatNumber(m.ratio)}`));
  }
  if (summary.length > 0) console.log(['== ratios (value / baseline measured in the same run)', ...summary].join('\n'));
}

main().catch((error: unknown) => {
  console.error('bench failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
