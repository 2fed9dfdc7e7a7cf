import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';

/** The built widget script with its content hash and pre-compressed bodies. */
export interface WidgetAsset {
  body: Buffer;
  gzip: Buffer;
  brotli: Buffer;
  /** First 12 hex digits of the SHA-256 of the script: the version in `/widget.<hash>.js`. */
  hash: string;
  etag: string;
}

const HASH_CHARS = 12;

/**
 * Returns a loader for the built widget file. The file is re-read only when its size or mtime changes, so a
 * rebuild is served without a restart, and a missing file (no build yet) yields null instead of a crash.
 * Compression happens once per build: the app registers no compression plugin and the script is hot.
 */
export function createWidgetAssetLoader(file: string): () => WidgetAsset | null {
  let cached: { asset: WidgetAsset; mtimeMs: number; size: number } | null = null;
  return () => {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      cached = null;
      return null;
    }
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.asset;
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      return null;
    }
    const hash = createHash('sha256').update(body).digest('hex').slice(0, HASH_CHARS);
    const asset: WidgetAsset = {
      body,
      gzip: gzipSync(body, { level: 9 }),
      brotli: brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
      hash,
      // Weak: the same validator covers the identity, gzip and brotli bodies of one build.
      etag: `W/"${hash}"`,
    };
    cached = { asset, mtimeMs: stat.mtimeMs, size: stat.size };
    return asset;
  };
}
