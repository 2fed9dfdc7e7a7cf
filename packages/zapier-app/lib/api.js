'use strict';

/**
 * How the app talks to FusionChatalyst: the server address (an auth field, so self-hosted servers and
 * tests work too), the API key on every request, and our problem+json errors turned into Zapier errors.
 */

const DEFAULT_BASE_URL = 'https://app.fusionchatalyst.com';

/** The server address of this connection, without a trailing slash. */
const baseUrl = (bundle) => {
  const raw = (bundle.authData && bundle.authData.baseUrl) || process.env.FC_BASE_URL || DEFAULT_BASE_URL;
  return String(raw).trim().replace(/\/+$/, '');
};

/**
 * beforeRequest: the REST-hook API (/api/zapier) takes the key in X-API-Key; the portal API (used by the
 * action and the chatbot dropdown) takes the same key as a Bearer token.
 */
const addApiKey = (request, z, bundle) => {
  const key = bundle.authData && bundle.authData.apiKey;
  if (!key) return request;
  request.headers = request.headers || {};
  if (/\/api\/portal\//.test(request.url)) request.headers.Authorization = `Bearer ${key}`;
  else request.headers['X-API-Key'] = key;
  request.headers.Accept = 'application/json';
  return request;
};

/** afterResponse: shows our problem+json `detail` (plain words) instead of a bare status code. */
const explainProblems = (response, z) => {
  if (response.status < 400 || (response.request && response.request.skipThrowForStatus)) return response;
  let detail = '';
  try {
    const body = JSON.parse(response.content);
    detail = body.detail || body.title || '';
  } catch {
    detail = '';
  }
  if (response.status === 401) {
    throw new z.errors.Error(detail || 'FusionChatalyst refused the API key.', 'AuthenticationError', 401);
  }
  throw new z.errors.Error(detail || `FusionChatalyst answered ${response.status}.`, 'ApiError', response.status);
};

module.exports = { DEFAULT_BASE_URL, baseUrl, addApiKey, explainProblems };
