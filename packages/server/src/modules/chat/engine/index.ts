/** The built-in chat engine: pure functions over a knowledge index and a JSON conversation state. */
export type {
  ConversationState,
  CustomIntent,
  EngineSettings,
  KnowledgeEntry,
  KnowledgeIndex,
  LeadDetails,
  LeadField,
  LeadResult,
  LearnedExample,
  RetrievalHit,
  TurnInput,
  TurnResult,
  TurnUnderstanding,
} from './engine.types.js';
export { createInitialState, restoreState } from './conversation-state.js';
export { buildKnowledgeIndex, buildKnowledgeIndexCooperatively, splitIntoPassages } from './retrieval.index.js';
export { createDefaultSettings, DEFAULT_ANSWER_THRESHOLD, runTurn } from './chat-engine.js';
export { DEFAULT_ENGINE_TUNING, parseEngineTuning, type EngineTuning } from './engine-tuning.js';
export {
  ENGINE_TUNING_GRID, evaluateTuningGrid, fitEngineTuning, foldLeaveOneOut, listTuningCandidates, runLeaveOneOut, scoreCandidates, scoreReport, selectTuning,
  type EngineTuningGrid, type FitOptions, type LeaveOneOutFold, type TuningGridResult,
} from './engine-tuning.fit.js';
export { detectIntent, BUILT_IN_INTENTS } from './intents.js';
export { extractLeadDetails } from './lead-extraction.js';
export { detectEscalation } from './escalation.js';
export { isPromptInjection } from './prompt-guard.js';
export { measureRetrievalLatency } from './retrieval.latency.js';
