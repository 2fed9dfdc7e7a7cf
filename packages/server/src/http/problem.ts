import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type FieldError } from '../lib/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
const PROBLEM_TYPE_BASE = 'https://fusionchatalyst.com/problems/';

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large',
  414: 'URI Too Long', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
}

/** Builds an RFC 9457 problem body. */
export function buildProblem(status: number, code: string, detail: string, errors?: FieldError[]): ProblemBody {
  return {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title: TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Request Error'),
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** Sends a problem response (used by the error handler, the 404 handler and rate limiting). */
export function sendProblem(reply: FastifyReply, problem: ProblemBody): FastifyReply {
  if (problem.status === 503) void reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
// PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, restart,
// cannot connect now), Node's socket errors, pg-pool's connect timeout and SQLite's lock timeout all mean
// "the database is briefly out of reach", not "this request is wrong".
// 40001/40P01 (serialization failure, deadlock) are transient too: the client's retry succeeds.
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'SQLITE_BUSY', '57P01', '57P02', '57P03', '40001', '40P01']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/** True when an error says the database cannot be reached right now (answer 503 + Retry-After, not 500). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return UNAVAILABLE_MESSAGES.test(error.message);
}

function describeValidation(error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((issue) => {
    const location = error.validationContext ?? 'body';
    const pathPart = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const missing = (issue.params as { missingProperty?: string; additionalProperty?: string } | undefined) ?? {};
    const field = [location, pathPart, missing.missingProperty ?? missing.additionalProperty ?? '']
      .filter((part) => part !== '')
      .join('.');
    const message = missing.additionalProperty ? `unknown property "${missing.additionalProperty}"` : (issue.message ?? 'is invalid');
    return { field, message };
  });
}

/** Maps any thrown error to a problem; 5xx details are logged and never sent to the client. */
export function mapErrorToProblem(error: unknown, request: FastifyRequest): ProblemBody {
  if (error instanceof AppError) {
    if (error.status >= 500) request.log.error({ err: error }, 'server error');
    return buildProblem(error.status, error.code, error.status >= 500 ? 'The server could not complete the request.' : error.message, error.errors);
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const errors = describeValidation(fastifyError);
    const first = errors[0];
    return buildProblem(400, 'validation_failed', first ? `${first.field} ${first.message}` : 'The request is invalid.', errors);
  }
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'payload_too_large'
      : fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type'
        : status === 429 ? 'rate_limited'
          : status === 404 ? 'not_found'
            : 'bad_request';
    // Framework 4xx messages (bad JSON, empty body, oversize) are safe and helpful to show.
    return buildProblem(status, code, fastifyError.message || TITLES[status] || 'Bad request');
  }
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, 'database unavailable');
    return buildProblem(503, 'unavailable', 'The service is briefly unavailable; please retry in a few seconds.');
  }
  request.log.error({ err: error }, 'unhandled error');
  if (status === 503) return buildProblem(503, 'unavailable', 'The service is temporarily unavailable; please retry.');
  return buildProblem(500, 'internal', 'The server could not complete the request.');
}
