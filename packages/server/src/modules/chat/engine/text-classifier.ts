/**
 * A small text classifier trained from example messages (the files in `training/`): multinomial logistic
 * regression over two views of a message — the frequency-weighted mean of its word vectors (meaning: "my dad
 * fell" is near "collapsed"), and hashed word and word-pair features (wording: "put me through"). It trains in
 * a fraction of a second when first used, deterministically, so what it learned is always the files' content.
 */
import { stemWord, tokenizeWords } from './text-analysis.js';
import { getWordVectors, type WordVectors } from './word-vectors.js';
import { createSeededRandom } from './seeded-random.js';

/** Hashed word and word-pair features. */
const HASH_BUCKETS = 1 << 14;
/** Smooth-inverse-frequency weight: words more common than about this rank count less than half. */
const SIF_RANK = 300;
const EPOCHS = 30;
const LEARNING_RATE = 0.2;
const L2 = 1e-5;
/** The mean vector counts as much as this many word features. */
const DENSE_SCALE = 2.5;

export interface LabelledText {
  label: string;
  text: string;
}

export interface Prediction {
  label: string;
  probability: number;
  probabilities: Record<string, number>;
}

/** Reads a training file: `## label` starts a class, each other non-empty line not starting with '#' is one example. */
export function parseTrainingText(content: string): LabelledText[] {
  const examples: LabelledText[] = [];
  let label: string | null = null;
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('##')) {
      label = line.slice(2).trim() || null;
      continue;
    }
    if (line.startsWith('#') || !label) continue;
    examples.push({ label, text: line });
  }
  return examples;
}

interface Features {
  dense: Float32Array | null;
  sparse: Int32Array;
  sparseValue: number;
}

function hashString(text: string): number {
  // FNV-1a, 32 bit.
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % HASH_BUCKETS;
}

/** The mean of a text's word vectors, each weighted by how rare the word is (SIF), scaled to unit length; null without vectors or known words. */
export function embedWords(words: string[], vectors: WordVectors | null = getWordVectors()): Float32Array | null {
  if (!vectors) return null;
  const sum = new Float32Array(vectors.dims);
  let found = false;
  for (const word of words) {
    const index = vectors.indexOf(word);
    if (index < 0) continue;
    vectors.addTo(sum, index, index / (index + SIF_RANK));
    found = true;
  }
  if (!found) return null;
  let norm = 0;
  for (const value of sum) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  for (let d = 0; d < sum.length; d++) sum[d] = (sum[d] ?? 0) / norm;
  return sum;
}

function extractFeatures(text: string, vectors: WordVectors | null): Features {
  const words = tokenizeWords(text);
  const stems = words.map(stemWord);
  const keys = new Set<number>();
  stems.forEach((stem, i) => {
    keys.add(hashString(`w:${stem}`));
    if (i > 0) keys.add(hashString(`b:${stems[i - 1] ?? ''} ${stem}`));
  });
  if (stems.length > 0) keys.add(hashString(`first:${stems[0] ?? ''}`));
  const dense = embedWords(words, vectors);
  return { dense, sparse: Int32Array.from(keys), sparseValue: keys.size > 0 ? 1 / Math.sqrt(keys.size) : 0 };
}


export class TextClassifier {
  private constructor(
    readonly labels: string[],
    private readonly denseWeights: Float32Array[],
    private readonly sparseWeights: Float32Array[],
    private readonly bias: Float32Array,
    private readonly dims: number,
    private readonly vectors: WordVectors | null,
  ) {}

  /**
   * Trains a classifier from labelled examples. With `balanced`, classes weigh the same however many examples
   * each has; without, the examples' proportions act as the prior (most messages need no person).
   */
  static train(examples: LabelledText[], options: { balanced?: boolean } = {}, vectors: WordVectors | null = getWordVectors()): TextClassifier {
    const labels = [...new Set(examples.map((e) => e.label))];
    const dims = vectors?.dims ?? 0;
    const denseWeights = labels.map(() => new Float32Array(dims));
    const sparseWeights = labels.map(() => new Float32Array(HASH_BUCKETS));
    const bias = new Float32Array(labels.length);
    const counts = labels.map((label) => examples.filter((e) => e.label === label).length);
    const data = examples.map((e) => ({ y: labels.indexOf(e.label), x: extractFeatures(e.text, vectors) }));
    const classifier = new TextClassifier(labels, denseWeights, sparseWeights, bias, dims, vectors);
    const random = createSeededRandom(42);
    const order = data.map((_, i) => i);
    const perClass = data.length / labels.length;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
      }
      const rate = LEARNING_RATE / (1 + epoch * 0.2);
      for (const index of order) {
        const sample = data[index];
        if (!sample) continue;
        const probabilities = classifier.scoreFeatures(sample.x);
        const balance = options.balanced === false ? 1 : perClass / (counts[sample.y] ?? 1);
        for (let k = 0; k < labels.length; k++) {
          const gradient = ((probabilities[k] ?? 0) - (k === sample.y ? 1 : 0)) * balance * rate;
          if (gradient === 0) continue;
          bias[k] = (bias[k] ?? 0) - gradient;
          const dense = denseWeights[k];
          if (dense && sample.x.dense) {
            for (let d = 0; d < dims; d++) dense[d] = (dense[d] ?? 0) * (1 - rate * L2) - gradient * (sample.x.dense[d] ?? 0) * DENSE_SCALE;
          }
          const sparse = sparseWeights[k];
          if (sparse) for (const key of sample.x.sparse) sparse[key] = (sparse[key] ?? 0) - gradient * sample.x.sparseValue;
        }
      }
    }
    return classifier;
  }

  /** The trained weights as bytes (labels, then float32 weights), for the on-disk model cache. */
  serialize(): Buffer {
    const header = Buffer.from(JSON.stringify({ labels: this.labels, dims: this.dims, buckets: HASH_BUCKETS }), 'utf8');
    const floats = new Float32Array(this.labels.length * (this.dims + HASH_BUCKETS + 1));
    let offset = 0;
    this.labels.forEach((_, k) => {
      floats.set(this.denseWeights[k] ?? [], offset);
      offset += this.dims;
      floats.set(this.sparseWeights[k] ?? [], offset);
      offset += HASH_BUCKETS;
      floats[offset++] = this.bias[k] ?? 0;
    });
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length, 0);
    return Buffer.concat([length, header, Buffer.from(floats.buffer)]);
  }

  /** Reads weights written by `serialize`; null when they do not fit these word vectors. */
  static deserialize(bytes: Buffer, vectors: WordVectors | null = getWordVectors()): TextClassifier | null {
    try {
      const headerLength = bytes.readUInt32LE(0);
      const header = JSON.parse(bytes.toString('utf8', 4, 4 + headerLength)) as { labels: string[]; dims: number; buckets: number };
      if (header.dims !== (vectors?.dims ?? 0) || header.buckets !== HASH_BUCKETS) return null;
      const body = bytes.subarray(4 + headerLength);
      // Copied into an aligned buffer; the weights were written by this machine's kind (little endian).
      const aligned = new Uint8Array(body.byteLength - (body.byteLength % 4));
      aligned.set(body.subarray(0, aligned.byteLength));
      const floats = new Float32Array(aligned.buffer);
      if (floats.length !== header.labels.length * (header.dims + HASH_BUCKETS + 1)) return null;
      const stride = header.dims + HASH_BUCKETS + 1;
      const dense = header.labels.map((_, k) => floats.slice(k * stride, k * stride + header.dims));
      const sparse = header.labels.map((_, k) => floats.slice(k * stride + header.dims, k * stride + header.dims + HASH_BUCKETS));
      const bias = Float32Array.from(header.labels.map((_, k) => floats[k * stride + stride - 1] ?? 0));
      return new TextClassifier(header.labels, dense, sparse, bias, header.dims, vectors);
    } catch {
      return null;
    }
  }

  /** Class probabilities for a message. */
  predict(text: string): Prediction {
    const probabilities = this.scoreFeatures(extractFeatures(text, this.vectors));
    let best = 0;
    for (let k = 1; k < probabilities.length; k++) if ((probabilities[k] ?? 0) > (probabilities[best] ?? 0)) best = k;
    return {
      label: this.labels[best] ?? '',
      probability: probabilities[best] ?? 0,
      probabilities: Object.fromEntries(this.labels.map((label, k) => [label, probabilities[k] ?? 0])),
    };
  }

  private scoreFeatures(x: Features): Float64Array {
    const logits = new Float64Array(this.labels.length);
    for (let k = 0; k < this.labels.length; k++) {
      let z = this.bias[k] ?? 0;
      const dense = this.denseWeights[k];
      if (dense && x.dense) for (let d = 0; d < this.dims; d++) z += (dense[d] ?? 0) * (x.dense[d] ?? 0) * DENSE_SCALE;
      const sparse = this.sparseWeights[k];
      if (sparse) for (const key of x.sparse) z += (sparse[key] ?? 0) * x.sparseValue;
      logits[k] = z;
    }
    const max = Math.max(...logits);
    let total = 0;
    for (let k = 0; k < logits.length; k++) {
      logits[k] = Math.exp((logits[k] ?? 0) - max);
      total += logits[k] ?? 0;
    }
    for (let k = 0; k < logits.length; k++) logits[k] = (logits[k] ?? 0) / total;
    return logits;
  }
}
