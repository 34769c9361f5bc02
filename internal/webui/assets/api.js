// The HTTP client for the Vigil API. It keeps the session's CSRF token in
// memory (never in storage) and sends it on every state-changing request.
import { t } from './i18n.js';

let csrfToken = '';
let hooks = { unauthorized: null, forced: null };

export class ApiError extends Error {
  // detail is the answer's whole error object: some carry more than a message
  // (a refused rule upload lists every file:line reason in detail.rejected).
  constructor(status, code, message, retryAfter, detail) {
    super(message);
    this.status = status;
    this.code = code || '';
    this.retryAfter = retryAfter;
    this.detail = detail || {};
  }
}

export function setCsrfToken(token) {
  if (typeof token === 'string') csrfToken = token;
}

export function clearSession() {
  csrfToken = '';
}

// onUnauthorized is called when an API route answers 401 (session gone);
// onForced when it answers 403 password_change_required or
// totp_enrollment_required.
export function setHooks(h) {
  hooks = { ...hooks, ...h };
}

// request sends body as JSON, or opts.raw as it is with the type opts.type (a
// rule file is uploaded as YAML).
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (opts.raw !== undefined) {
    headers['Content-Type'] = opts.type || 'text/plain; charset=utf-8';
    init.body = opts.raw;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res;
  try {
    res = await fetch(path, init);
  } catch (_) {
    throw new ApiError(0, 'network', t('error.network'));
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch (_) { data = null; }
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    const message = err.message || t('error.http', { status: res.status });
    const e = new ApiError(res.status, err.code, message, res.headers.get('Retry-After'), err);
    const isApi = path.startsWith('/api/');
    if (isApi && !opts.quiet) {
      if (res.status === 401 && hooks.unauthorized) hooks.unauthorized(e);
      if (res.status === 403 && (e.code === 'password_change_required' || e.code === 'totp_enrollment_required') && hooks.forced) hooks.forced(e);
    }
    throw e;
  }
  if (data && typeof data.csrf_token === 'string' && data.csrf_token) csrfToken = data.csrf_token;
  return data;
}

export const api = {
  get: (path, opts) => request('GET', path, undefined, opts),
  post: (path, body, opts) => request('POST', path, body, opts),
  put: (path, body, opts) => request('PUT', path, body, opts),
  putRaw: (path, text, type, opts) => request('PUT', path, undefined, { ...opts, raw: text, type }),
  patch: (path, body, opts) => request('PATCH', path, body, opts),
  del: (path, opts) => request('DELETE', path, undefined, opts),
};

// Appends query parameters, skipping empty ones.
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

// Human text for an error: the server's message, or ours for network trouble.
export function errorText(e) {
  if (e instanceof ApiError) return e.message;
  return t('error.unexpected');
}
