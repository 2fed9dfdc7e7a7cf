import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WIDGET_BUILD_SCRIPT = fileURLToPath(new URL('../../../widget/build.mjs', import.meta.url));

/** Builds packages/widget/dist/widget.js the way `npm run build` does, so tests serve the real script. */
export function buildWidgetForTests(): void {
  execFileSync(process.execPath, [WIDGET_BUILD_SCRIPT], { stdio: 'pipe' });
}
