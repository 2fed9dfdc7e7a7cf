/**
 * The engine's classifiers, each trained from one file of example messages in `training/` the first time it
 * is needed (a maintainer extends a class by adding lines). See training/README.md.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTrainingText, TextClassifier, type LabelledText } from './text-classifier.js';
import { engineCacheDirectory, getWordVectors, writeCacheFile } from './word-vectors.js';

export type ClassifierName = 'escalation' | 'intent' | 'scope' | 'smalltalk';

const trained = new Map<string, TextClassifier | null>();

/**
 * Every example of these files is also an ordinary message for another classifier ("none" for escalation):
 * the everyday questions of intent.txt and scope.txt teach the escalation classifier what does not need a person.
 */
const BORROWED_NEGATIVES: Partial<Record<ClassifierName, { file: ClassifierName; label: string }[]>> = {
  escalation: [
    { file: 'intent', label: 'none' },
    { file: 'scope', label: 'none' },
    { file: 'smalltalk', label: 'none' },
  ],
  // Short questions ("hours?", "price list") are not small talk: the smalltalk file has no class for them.
  smalltalk: [
    { file: 'intent', label: 'other' },
    { file: 'scope', label: 'other' },
  ],
  // Every visitor message of the other files is about a business, across many trades.
  scope: [
    { file: 'intent', label: 'business' },
    { file: 'escalation', label: 'business' },
  ],
};

function readExamples(name: ClassifierName): LabelledText[] {
  const url = trainingFileUrl(name);
  return existsSync(url) ? parseTrainingText(readFileSync(url, 'utf8')) : [];
}

function trainingFileUrl(name: ClassifierName): URL {
  // Resolved from the compiled file too: the build copies nothing, so read the files beside the sources.
  return new URL(`../../../../src/modules/chat/engine/training/${name}.txt`, import.meta.url);
}

/**
 * Training takes a few seconds; every process (and every test worker) would pay it. The weights are cached on
 * disk beside the word-vector cache, keyed by a hash of the examples and of the trainer's source, so an
 * edited training file or trainer retrains exactly once.
 */
function loadOrTrain(name: ClassifierName, examples: LabelledText[], view: 'meaning-and-words' | 'words'): TextClassifier {
  const balanced = name !== 'escalation';
  const vectors = view === 'words' ? null : getWordVectors();

  const hash = createHash('sha256').update(JSON.stringify({ examples, balanced, view })).update(readFileSync(new URL('./text-classifier' + extname(fileURLToPath(import.meta.url)), import.meta.url))).digest('hex').slice(0, 16);
  const cachePath = join(engineCacheDirectory(), `classifier-${name}-${hash}.bin`);
  if (existsSync(cachePath)) {
    const cached = TextClassifier.deserialize(readFileSync(cachePath), vectors);
    if (cached) return cached;
  }
  const classifier = TextClassifier.train(examples, { balanced }, vectors);
  try {
    writeCacheFile(cachePath, [classifier.serialize()]);
  } catch {
    // A read-only install still works: it trains in memory each start.
  }
  return classifier;
}

/** The named classifier, trained on first use; null when its training file is missing. */
export function getClassifier(name: ClassifierName): TextClassifier | null {
  return getTrained(name, 'meaning-and-words');
}

/**
 * The same classifier trained on wording alone (no word vectors). Escalation asks both and takes the lower
 * probability: meaning alone generalises too far ("my budgie's got a swollen eye" near "collapsed"), wording
 * alone misses new phrasings; a person is called when both agree.
 */
export function getWordingClassifier(name: ClassifierName): TextClassifier | null {
  return getTrained(name, 'words');
}

function getTrained(name: ClassifierName, view: 'meaning-and-words' | 'words'): TextClassifier | null {
  const key = `${name}:${view}`;
  if (trained.has(key)) return trained.get(key) ?? null;
  const own = readExamples(name);
  const borrowed = (BORROWED_NEGATIVES[name] ?? []).flatMap(({ file, label }) => readExamples(file).map((e) => ({ label, text: e.text })));
  const classifier = own.length > 0 ? loadOrTrain(name, [...own, ...borrowed], view) : null;
  trained.set(key, classifier);
  return classifier;
}

/** Trains every classifier now (at start-up), so the first visitor does not wait for it. */
export function warmUpClassifiers(): void {
  for (const name of ['escalation', 'intent', 'scope', 'smalltalk'] as const) getClassifier(name);
  getWordingClassifier('escalation');
}
