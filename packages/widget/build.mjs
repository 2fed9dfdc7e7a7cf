/* global URL, process, console, Buffer */
// Bundles src/widget.ts into one minified, dependency-free script (dist/widget.js) and prints its size.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = new URL('.', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

const result = await build({
  entryPoints: [new URL('src/widget.ts', root).pathname],
  bundle: true,
  minify: true,
  format: 'iife',
  // Evergreen browsers from the last few years; no polyfills, the script must stay small.
  target: ['chrome90', 'edge90', 'firefox90', 'safari15'],
  legalComments: 'none',
  charset: 'utf8',
  write: false,
  define: { __FC_VERSION__: JSON.stringify(version) },
});

const code = result.outputFiles[0].contents;
mkdirSync(new URL('dist/', root), { recursive: true });
// Written beside the target and renamed: a server (or a parallel test) never reads a half-written script.
const temporary = new URL(`dist/widget.js.${process.pid}.tmp`, root);
writeFileSync(temporary, code);
renameSync(temporary, new URL('dist/widget.js', root));
const gzip = gzipSync(code, { level: 9 }).length;
console.log(`widget: dist/widget.js ${(code.length / 1024).toFixed(1)} KB, ${(gzip / 1024).toFixed(1)} KB gzipped`);

// The languages other than English, loaded by the widget only for visitors who get them (src/i18n/language.ts):
// parsed here, so a broken file fails the build, and written compact beside the script.
mkdirSync(new URL('dist/i18n/', root), { recursive: true });
const sizes = [];
for (const file of readdirSync(new URL('src/i18n/', root)).filter((name) => name.endsWith('.json')).sort()) {
  const compact = Buffer.from(JSON.stringify(JSON.parse(readFileSync(new URL(`src/i18n/${file}`, root), 'utf8'))));
  const target = new URL(`dist/i18n/${file}.${process.pid}.tmp`, root);
  writeFileSync(target, compact);
  renameSync(target, new URL(`dist/i18n/${file}`, root));
  sizes.push(`${file.replace('.json', '')} ${(gzipSync(compact, { level: 9 }).length / 1024).toFixed(1)} KB`);
}
console.log(`widget: dist/i18n/*.json gzipped: ${sizes.join(', ')}`);
