/**
 * The pure core of webhook delivery: signing, field mappings, SSRF guard, HTTP sender and retry schedule.
 * No database and no process.env: the outbox, the worker loop and the routes build on these.
 */
export * from './signing.js';
export * from './mapping.js';
export {
  parseTemplate, evaluateTemplate, isTemplate, TemplateSyntaxError,
} from './mapping-template.js';
export type { ParsedTemplate, TemplateExpression, TemplateFilter, FilterName } from './mapping-template.js';
export * from './url-guard.js';
export * from './concurrency-gate.js';
export * from './http-sender.js';
export * from './retry-schedule.js';
export * from './delivery-request.js';
