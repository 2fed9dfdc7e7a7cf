import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds the browser assets once, before any test file starts: the widget script and the portal. Test
 * files then serve what is on disk; none rebuilds it while another file's browser is loading it (a Vite
 * build empties the portal's dist/ first, which made pages briefly 404 under parallel test files).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['packages/widget/build.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  // The engine's word vectors (converted once from the npm package) and classifiers (trained once) are cached
  // on disk; preparing them here saves every test worker from doing it at the same time.
  execFileSync(process.execPath, ['--import', 'tsx', 'packages/server/src/scripts/prepare-engine.ts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('npm', ['run', 'build', '--silent', '-w', 'packages/portal'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } });
}
