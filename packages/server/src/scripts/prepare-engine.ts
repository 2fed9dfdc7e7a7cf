/**
 * Prepares the chat engine's on-disk caches: converts the word vectors from their npm package (once) and
 * trains the classifiers from training/*.txt (once per change). `npm run build` and the test setup run it;
 * without it the first chat of each process would do the same work.
 */
import { warmUpClassifiers } from '../modules/chat/engine/message-classifiers.js';
import { getWordVectors } from '../modules/chat/engine/word-vectors.js';

const started = Date.now();
const vectors = getWordVectors();
warmUpClassifiers();
console.log(`engine ready: ${vectors ? `${vectors.size} word vectors` : 'no word vectors (package missing)'}, classifiers trained or loaded in ${Date.now() - started} ms`);
