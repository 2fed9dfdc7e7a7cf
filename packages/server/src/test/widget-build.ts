import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WIDGET_BUILD_SCRIPT = fileURLToPath(new URL('../../../widget/build.mjs', import.meta.url));

const WIDGET_FILE = fileURLToPath(new URL('../../../widget/dist/widget.js', import.meta.url));

/**
 * Makes sure packages/widget/dist/widget.js exists, built the way `npm run build` does. The suite's global
 * setup (test/global-setup.ts) builds it from the current sources once per run; this covers a file run
 * without that setup.
 */
export function buildWidgetForTests(): void {
  if (existsSync(WIDGET_FILE)) return;
  execFileSync(process.execPath, [WIDGET_BUILD_SCRIPT], { stdio: 'pipe' });
}
