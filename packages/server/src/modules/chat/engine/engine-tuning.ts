import { readFileSync } from 'node:fs';
import type { EngineSettings } from './engine.types.js';

/**
 * What the engine's behaviour is fitted on, rather than written by hand: `npm run eval -- --fit` chooses it on
 * the five dev datasets (engine-tuning.fit.ts) and writes engine-tuning.data.json, which ships. Every field is
 * an `EngineSettings` field of the same name (checked by `toSettingsOverride`), so a chatbot's own settings
 * still win over the fitted default.
 */
export interface EngineTuning {
  /** Minimum retrieval confidence (0–1) to answer from the knowledge base; below it the bot says it does not know. */
  answerThreshold: number;
}

/**
 * Read beside the sources, from src/ and from dist/ alike: the build copies no JSON (as demo.service.ts does).
 * The one file the engine reads; it is fixed at load, so turns stay pure.
 */
export const ENGINE_TUNING_DATA_URL = new URL('../../../../src/modules/chat/engine/engine-tuning.data.json', import.meta.url);

/** Checks a tuning read from JSON, so a hand-edited or stale file fails at start-up rather than mid-conversation. */
export function parseEngineTuning(raw: unknown): EngineTuning {
  const record = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const { answerThreshold } = record;
  if (typeof answerThreshold !== 'number' || !(answerThreshold >= 0 && answerThreshold <= 1)) {
    throw new Error(`engine tuning: answerThreshold must be a number from 0 to 1, got ${JSON.stringify(answerThreshold)}`);
  }
  return { answerThreshold };
}

/** The shipped tuning: fitted on all five dev datasets. */
export const DEFAULT_ENGINE_TUNING: Readonly<EngineTuning> = Object.freeze(parseEngineTuning(JSON.parse(readFileSync(ENGINE_TUNING_DATA_URL, 'utf8'))));

/** A tuning as the settings fields it sets; a tuning field that is not a settings field fails to compile here. */
export function toSettingsOverride(tuning: EngineTuning): Partial<EngineSettings> {
  const override: { [K in keyof EngineTuning]: EngineSettings[K] } = { ...tuning };
  return override;
}
