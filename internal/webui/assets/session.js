// The signed-in user, as last answered by GET /api/v1/me, and helpers
// around it. The server enforces every permission; the console only uses them
// to decide what to show.
import { api } from './api.js';
import { setLanguage, storeLanguage, normalize } from './i18n.js';

export const session = {
  me: null,
  roles: null, // [{name, permissions}] from GET /api/v1/roles, loaded on demand
  notice: '', // a message for the sign-in page (session expired, ...)
};

export function can(permission) {
  const me = session.me;
  return !!me && Array.isArray(me.permissions) && me.permissions.includes(permission);
}

// loadMe refreshes session.me; it resolves to null when nobody is signed in.
export async function loadMe() {
  try {
    session.me = await api.get('/api/v1/me', { quiet: true });
  } catch (e) {
    if (e.status === 401) {
      session.me = null;
    } else {
      throw e;
    }
  }
  return session.me;
}

export async function loadRoles() {
  if (!session.roles) {
    const data = await api.get('/api/v1/roles');
    session.roles = (data && Array.isArray(data.roles)) ? data.roles : [];
  }
  return session.roles;
}

export function roleNames() {
  return (session.roles || []).map((r) => r.name);
}

let renderer = () => {};

export function setRenderer(fn) {
  renderer = fn;
}

// rerender draws the whole console again for the current route and user.
export function rerender() {
  return renderer();
}

// changeLanguage switches the console's language. Signed in, the choice is
// saved on the user (PATCH /api/v1/me); before sign-in, on this device. An
// empty code (signed in only) clears the saved choice, so the browser's
// languages apply. It throws the API error when saving fails.
export async function changeLanguage(code, browserDefault) {
  const lang = normalize(code);
  if (session.me) {
    await api.patch('/api/v1/me', { language: lang });
    session.me.language = lang;
  } else {
    storeLanguage(lang);
  }
  await setLanguage(lang || browserDefault || 'en');
  rerender();
}
