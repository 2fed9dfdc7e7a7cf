import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { startApi } from './load.scenario.js';
import { measure, type BenchOutcome, type BenchScenario } from './scenario.js';

/**
 * The widget's weight and speed: the gzipped size of the built `/widget.js` (against the 12 KB aim), and in
 * Debian's Chromium the time from the script having arrived to a clickable launcher on the demo page,
 * against the time the same page takes to reach its own `load` event (the baseline from the same run).
 */
const WIDGET_FILE = fileURLToPath(new URL('../../../widget/dist/widget.js', import.meta.url));
const CHROMIUM_PATH = process.env.FC_CHROMIUM_PATH ?? '/usr/bin/chromium';
const SIZE_AIM_BYTES = 12 * 1024;
const RUNS = 5;

async function timeLauncher(baseUrl: string): Promise<{ launcherMs: number[]; loadMs: number[] } | null> {
  if (!existsSync(CHROMIUM_PATH)) return null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const launcherMs: number[] = [];
  const loadMs: number[] = [];
  try {
    for (let run = 0; run < RUNS; run += 1) {
      const context = await browser.newContext();
      const page = await context.newPage();
      // Before the page's scripts: note when the widget's custom element appears in the document.
      await page.addInitScript(`window.__launcherAt = null; new MutationObserver((_, o) => { if (document.querySelector('fusionchatalyst-widget')) { window.__launcherAt = performance.now(); o.disconnect(); } }).observe(document, { childList: true, subtree: true });`);
      await page.goto(`${baseUrl}/demo`, { waitUntil: 'load' });
      await page.getByRole('button', { name: 'Open chat' }).waitFor({ state: 'visible', timeout: 10_000 });
      const timing = await page.evaluate(`(() => {
        const script = performance.getEntriesByType('resource').find((e) => e.name.includes('/widget.js'));
        const nav = performance.getEntriesByType('navigation')[0];
        return { launcher: script && window.__launcherAt !== null ? window.__launcherAt - script.responseEnd : null, load: nav ? nav.loadEventEnd - nav.startTime : null };
      })()`) as { launcher: number | null; load: number | null };
      if (timing.launcher !== null) launcherMs.push(timing.launcher);
      if (timing.load !== null) loadMs.push(timing.load);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return { launcherMs, loadMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor(sorted.length / 2)] as number);
}

export const widgetScenario: BenchScenario = {
  name: 'widget',
  summary: 'gzipped size of /widget.js vs the 12 KB aim, and script-arrived → clickable launcher in Chromium vs the demo page load',
  isDefault: true,
  async run(context): Promise<BenchOutcome> {
    if (!existsSync(WIDGET_FILE)) return { status: 'skipped', reason: 'the widget is not built (npm run build)' };
    const source = readFileSync(WIDGET_FILE);
    const gzipBytes = gzipSync(source, { level: 9 }).length;
    const brotliBytes = brotliCompressSync(source).length;
    const measurements = [measure('widget.js gzipped', gzipBytes, 'bytes', { label: '12 KB aim', value: SIZE_AIM_BYTES }, `raw ${source.length} B, brotli ${brotliBytes} B`)];
    const notes: string[] = [];
    context.log('widget: timing the launcher in Chromium on /demo');
    // The real server process with the seeded demo chatbot, as after `npm start`.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'fc-bench-widget-'));
    const server = await startApi({ FC_DATA_DIR: dataDir, DATABASE_URL: `sqlite:${path.join(dataDir, 'demo.db')}`, FC_SEED_DEMO: 'true' });
    try {
      const startedAt = performance.now();
      const timing = await timeLauncher(server.baseUrl);
      if (timing && timing.launcherMs.length > 0) {
        measurements.push(measure('script arrived → clickable launcher', median(timing.launcherMs), 'ms', { label: 'demo page load event', value: median(timing.loadMs) },
          `median of ${timing.launcherMs.length} cold page loads (fresh browser context each)`));
      } else {
        notes.push(`Chromium not found at ${CHROMIUM_PATH}: launcher timing skipped`);
      }
      notes.push(`browser runs took ${Math.round(performance.now() - startedAt)} ms`);
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((resolve) => server.child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
    return { status: 'measured', measurements, notes };
  },
};
