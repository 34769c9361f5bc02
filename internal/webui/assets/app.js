// Vigil console: start-up, routing and the application shell.
import { api, setHooks, clearSession, errorText } from './api.js';
import { t, setLanguage, preferredLanguage, currentLanguage } from './i18n.js';
import { h, mount, messageBox } from './dom.js';
import { session, loadMe, setRenderer, changeLanguage } from './session.js';
import { renderLogin, renderPasswordChange, renderForcedTotp } from './auth.js';
import { renderDashboard, renderUnavailable } from './pages.js';
import { renderSettings } from './settings.js';
import { renderHosts } from './hosts.js';
import { renderMatrix } from './matrix.js';
import { renderAlerts } from './alerts.js';
import { renderIncidents } from './incidents.js';
import { renderRules } from './rules.js';

const $ = (id) => document.getElementById(id);

// The pages of the shell. Titles are functions so they follow the language.
const pages = {
  dashboard: { title: () => t('nav.dashboard'), render: renderDashboard },
  alerts: { title: () => t('nav.alerts'), render: renderAlerts },
  incidents: { title: () => t('nav.incidents'), render: renderIncidents },
  matrix: { title: () => t('nav.matrix'), render: renderMatrix },
  search: { title: () => t('nav.search'), render: (el) => renderUnavailable(el, t('unavailable.search')) },
  hosts: { title: () => t('nav.hosts'), render: renderHosts },
  rules: { title: () => t('nav.rules'), render: renderRules },
  reports: { title: () => t('nav.reports'), render: (el) => renderUnavailable(el, t('unavailable.reports')) },
  settings: { title: () => t('nav.settings'), render: renderSettings },
};

let returnTo = '';

// parseRoute reads #/page/sub?query: a page's filters live in the query, so a
// filtered view can be bookmarked and the browser's back button undoes a filter.
function parseRoute() {
  const raw = (location.hash || '').replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const [page = '', sub = ''] = path.split('/');
  return { page, sub, query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

function setRoute(hash) {
  history.replaceState(null, '', hash);
}

function showAuth(draw) {
  $('boot').hidden = true;
  $('shell').hidden = true;
  $('auth').hidden = false;
  $('auth-lang').value = currentLanguage();
  draw($('auth-content'));
}

function render() {
  const me = session.me;
  const route = parseRoute();
  if (!me) {
    if (route.page && route.page !== 'login') returnTo = location.hash;
    setRoute('#/login');
    document.title = `${t('login.title')} · ${t('app.name')}`;
    return showAuth((el) => renderLogin(el, { onSignedIn }));
  }
  if (me.must_change_password) {
    document.title = `${t('pwchange.title')} · ${t('app.name')}`;
    return showAuth((el) => renderPasswordChange(el, { onChanged, onLogout: logout }));
  }
  if (me.totp_required && !me.totp_enabled) {
    document.title = `${t('enroll.forcedTitle')} · ${t('app.name')}`;
    return showAuth((el) => renderForcedTotp(el, { onDone: refresh, onLogout: logout }));
  }
  if (!pages[route.page]) {
    setRoute(returnTo && returnTo !== '#/login' ? returnTo : '#/dashboard');
    returnTo = '';
    return render();
  }
  showShell(route);
}

function showShell(route) {
  $('boot').hidden = true;
  $('auth').hidden = true;
  // Drop whatever the sign-in area showed (recovery codes among them) from the page.
  mount($('auth-content'));
  $('shell').hidden = false;
  const me = session.me;
  $('current-user').textContent = me.username;
  $('current-role').textContent = me.role;
  $('lang-select').value = currentLanguage();
  for (const link of document.querySelectorAll('#nav a[data-route]')) {
    const active = link.dataset.route === route.page;
    link.classList.toggle('active', active);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const page = pages[route.page];
  const title = page.title();
  $('page-title').textContent = title;
  document.title = `${title} · ${t('app.name')}`;
  const content = $('content');
  mount(content);
  content.dataset.page = route.page;
  page.render(content, route.sub, route.query);
  revalidate();
}

// revalidate asks the server about the session on every page change, so that
// an ended session, or a role changed by an administrator, shows at once
// even on pages that make no API call of their own.
let revalidating = false;
async function revalidate() {
  if (revalidating) return;
  revalidating = true;
  try {
    const fresh = await api.get('/api/v1/me'); // a 401 signs out through the hook
    const old = session.me;
    const shape = (m) => JSON.stringify([m.id, m.role, m.permissions, m.must_change_password, m.totp_required, m.totp_enabled]);
    if (old && fresh && shape(old) !== shape(fresh)) {
      session.me = fresh;
      render();
    }
  } catch (_) {
    // Errors are handled by the hooks or show up on the next action.
  } finally {
    revalidating = false;
  }
}

async function onSignedIn(user) {
  session.notice = '';
  if (user && typeof user === 'object' && user.username) session.me = user;
  else await loadMe();
  await setLanguage(preferredLanguage(session.me));
  const target = returnTo && returnTo !== '#/login' ? returnTo : '#/dashboard';
  returnTo = '';
  setRoute(target);
  render();
}

async function onChanged() {
  const me = await loadMe();
  if (!me) session.notice = t('pwchange.signInAgain');
  render();
}

async function refresh() {
  await loadMe();
  render();
}

async function logout() {
  try {
    await api.post('/auth/logout');
  } catch (_) {
    // The session may already be gone; sign out locally either way.
  }
  clearSession();
  session.me = null;
  session.roles = null;
  session.notice = t('login.signedOut');
  returnTo = '';
  setRoute('#/login');
  render();
}

async function onLanguageSelect(ev) {
  try {
    await changeLanguage(ev.target.value);
  } catch (e) {
    showToast(errorText(e));
    ev.target.value = currentLanguage();
  }
}

let toastTimer = 0;
function showToast(text) {
  const el = $('toast');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 6000);
}

async function boot() {
  setRenderer(render);
  setHooks({
    unauthorized: () => {
      if (!session.me) return;
      clearSession();
      session.me = null;
      session.notice = t('login.sessionExpired');
      render();
    },
    forced: () => { refresh(); },
  });
  $('lang-select').addEventListener('change', onLanguageSelect);
  $('auth-lang').addEventListener('change', onLanguageSelect);
  $('logout').addEventListener('click', logout);
  window.addEventListener('hashchange', render);

  try {
    await setLanguage(preferredLanguage(null));
  } catch (_) {
    // Without catalogs the console still works with raw keys; keep going.
  }
  try {
    await loadMe();
    if (session.me) await setLanguage(preferredLanguage(session.me));
  } catch (e) {
    const msg = messageBox('boot-error');
    msg.error(errorText(e));
    mount($('boot'), msg.el, h('button', { type: 'button', class: 'btn', on: { click: () => location.reload() } }, t('common.retry')));
    return;
  }
  $('auth-lang').value = currentLanguage();
  render();
}

boot();
