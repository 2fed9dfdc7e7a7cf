/**
 * The learned re-ranker: a linear score over what the retrieval index measures for a (question, entry) pair,
 * and a logistic calibration of the best score into the one confidence that decides "answer" versus
 * "I don't know" for any business. Weights are fitted across businesses (`npm run eval -- --fit`), never on
 * the business being scored (`--leave-one-out`).
 */

/** Feature order of a candidate's vector; the model's weights follow it. */
export const RANKER_FEATURES = [
  /** IDF-weighted share of the question's words the entry contains (exact words and general synonyms). */
  'coverage',
  /** How well the entry's own question matches (FAQ/curated/learned), 0 for document passages. */
  'questionMatch',
  /** BM25 relative to the best BM25 candidate. */
  'bm25',
  /** The entry holds the kind of fact asked for (a price for "how much", a time for "when"). */
  'answerType',
  /** IDF-weighted share of the question's words with a near-synonym (word vectors) in the entry. */
  'softCoverage',
  /** Cosine of the question's and the entry question's meaning vectors. */
  'questionSimilarity',
  /** Cosine of the question's and the entry text's meaning vectors. */
  'bodySimilarity',
  /** The question uses a word of a topic no business answers (weather, sport) that the knowledge base lacks. */
  'offTopic',
  /** A corrected answer from the review queue. */
  'curated',
  /** Soft coverage of the question by the entry's best single sentence. */
  'bestSentence',
] as const;

export interface RankerModel {
  weights: number[];
  /** Confidence = sigmoid(scale × score + offset). */
  calibration: { scale: number; offset: number };
}

/**
 * Weights set by hand (the lexical re-ranker of earlier versions plus meaning): coordinate ascent across the
 * dev businesses did not beat them on a left-out business (see the engine README). The calibration is fitted
 * (`fitCalibration`) on the five dev businesses; the answer threshold on it is tuned per fold in leave-one-out.
 */
export const DEFAULT_RANKER_MODEL: RankerModel = {
  weights: [2.5, 2, 0.5, 0.4, 1.5, 1, 1, -2, 1, 2],
  calibration: { scale: 0.75, offset: -3.14 },
};

/** The ranking score of one candidate. */
export function scoreCandidate(model: RankerModel, features: number[]): number {
  let score = 0;
  features.forEach((value, i) => {
    score += (model.weights[i] ?? 0) * value;
  });
  return score;
}

/** The calibrated probability that the best candidate answers the question. */
export function calibrate(model: RankerModel, score: number): number {
  return 1 / (1 + Math.exp(-(model.calibration.scale * score + model.calibration.offset)));
}

/** One question of a training set: every candidate's features, which candidates answer it (none for out-of-scope). */
export interface RankerTrainingQuery {
  candidates: number[][];
  correct: boolean[];
}

/** Multipliers tried for each weight per round of coordinate ascent, and how many rounds. */
const FIT_STEPS = [0, 0.25, 0.5, 0.8, 1.25, 2, 4];
const FIT_ROUNDS = 4;

/** Index and score of the best-scoring candidate (-1 when there is none). */
function findTop(model: RankerModel, candidates: number[][]): { index: number; score: number } {
  let top = { index: -1, score: -Infinity };
  candidates.forEach((features, index) => {
    const score = scoreCandidate(model, features);
    if (score > top.score) top = { index, score };
  });
  return top;
}

function countTopCorrect(weights: number[], queries: RankerTrainingQuery[]): number {
  const model: RankerModel = { weights, calibration: DEFAULT_RANKER_MODEL.calibration };
  return queries.filter((query) => query.correct[findTop(model, query.candidates).index] === true).length;
}

/**
 * Fits the weights by coordinate ascent on what matters — how often the best candidate answers the question
 * (the approach of RankLib's coordinate ascent) — and then the calibration (logistic regression of "the top
 * candidate answers" on the top score, with out-of-scope questions as negatives). Deterministic.
 */
export function fitRanker(queries: RankerTrainingQuery[], start: RankerModel = DEFAULT_RANKER_MODEL): RankerModel {
  const weights = [...start.weights];
  const answerable = queries.filter((q) => q.correct.some(Boolean) && q.candidates.length > 1);
  let bestCount = countTopCorrect(weights, answerable);
  for (let round = 0; round < FIT_ROUNDS; round++) {
    for (let j = 0; j < weights.length; j++) {
      const original = weights[j] ?? 0;
      let bestValue = original;
      const tries = FIT_STEPS.map((m) => original * m).concat(original === 0 ? [0.5, 1, -0.5] : [-original * 0.5]);
      for (const value of tries) {
        weights[j] = value;
        const count = countTopCorrect(weights, answerable);
        if (count > bestCount) {
          bestCount = count;
          bestValue = value;
        }
      }
      weights[j] = bestValue;
    }
  }
  return fitCalibration({ weights, calibration: start.calibration }, queries);
}

/** Fits only the calibration of a model: logistic regression of "the top candidate answers" on the top score. */
export function fitCalibration(model: RankerModel, queries: RankerTrainingQuery[]): RankerModel {
  const tops = queries
    .filter((q) => q.candidates.length > 0)
    .map((q) => {
      const top = findTop(model, q.candidates);
      return { score: top.score, label: q.correct[top.index] ? 1 : 0 };
    });
  let { scale, offset } = model.calibration;
  for (let epoch = 0; epoch < 2000; epoch++) {
    let gScale = 0;
    let gOffset = 0;
    for (const { score, label } of tops) {
      const p = 1 / (1 + Math.exp(-(scale * score + offset)));
      gScale += (p - label) * score;
      gOffset += p - label;
    }
    scale -= 0.1 * (gScale / Math.max(1, tops.length));
    offset -= 0.1 * (gOffset / Math.max(1, tops.length));
  }
  return { weights: [...model.weights], calibration: { scale, offset } };
}
