// The dashboard and the pages whose features do not exist yet.
import { api, errorText } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, table, badge, formatTime, messageBox } from './dom.js';
import { session, can } from './session.js';
import { incidentMetricsCard } from './incidents.js';

function dl(rows) {
  return h('dl', { class: 'facts' }, rows.map(([k, v, testid]) => [h('dt', null, k), h('dd', { testid }, v)]));
}

function describe(value) {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function shorten(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

// One audit entry: who did what to which target, and the recorded change
// (before and after are JSON documents; a creation has no before).
function auditRow(e) {
  const before = describe(e.before);
  const after = describe(e.after);
  const change = h('td', { class: 'detail mono' },
    before ? h('span', { class: 'before', title: before }, shorten(before, 60)) : null,
    before && after ? ' → ' : null,
    after ? h('span', { class: 'after', title: after }, shorten(after, 60)) : null);
  const hash = describe(e.hash);
  return h('tr', { testid: 'audit-row' },
    h('td', { class: 'mono nowrap' }, describe(e.id)),
    h('td', { class: 'nowrap' }, formatTime(e.time)),
    h('td', null, describe(e.actor)),
    h('td', { class: 'mono' }, describe(e.action)),
    h('td', null, describe(e.target)),
    change,
    h('td', { class: 'mono muted', title: hash }, hash.slice(0, 12)));
}

async function loadAudit(tableBox, chainBox) {
  const msg = messageBox('audit-error');
  try {
    const [list, verify] = await Promise.all([
      api.get('/api/v1/audit?limit=10'),
      api.get('/api/v1/audit/verify'),
    ]);
    const items = (list && list.items) || [];
    if (verify && verify.ok) {
      mount(chainBox, badge(t('dashboard.chainOk'), 'ok'), ' ',
        h('span', { class: 'muted' }, t('dashboard.chainEntries', { count: verify.entries ?? 0 })));
    } else {
      mount(chainBox, badge(t('dashboard.chainBroken'), 'bad'), ' ',
        h('span', null, t('dashboard.chainBrokenAt', { id: describe(verify && verify.broken_at), reason: describe(verify && verify.reason) })));
    }
    if (!items.length) {
      mount(tableBox, h('p', { class: 'empty' }, t('dashboard.auditEmpty')));
      return;
    }
    mount(tableBox, table('audit-table', [
      t('audit.id'), t('audit.time'), t('audit.actor'), t('audit.action'), t('audit.target'),
      t('audit.change'), t('audit.hash'),
    ], items.map(auditRow)));
  } catch (e) {
    msg.error(errorText(e));
    mount(tableBox, msg.el);
    mount(chainBox);
  }
}

export function renderDashboard(el) {
  const me = session.me;
  const totp = me.totp_enabled ? badge(t('common.enabled'), 'ok')
    : me.totp_required ? badge(t('dashboard.totpRequiredOff'), 'bad') : badge(t('common.disabled'), 'warn');
  const account = card(t('dashboard.account'), 'dash-account', dl([
    [t('common.username'), me.username, 'dash-username'],
    [t('common.role'), h('span', { class: 'mono' }, me.role), 'dash-role'],
    [t('dashboard.totp'), totp, 'dash-totp'],
    [t('dashboard.permissions'), h('span', { class: 'perm-list' }, (me.permissions || []).map((p) => h('code', null, p))), 'dash-permissions'],
  ]));

  let audit;
  if (can('audit:read')) {
    const chainBox = h('div', { class: 'chain', testid: 'audit-verify' }, h('span', { class: 'muted' }, t('common.loading')));
    const tableBox = h('div', null, h('p', { class: 'muted' }, t('common.loading')));
    audit = card(t('dashboard.audit'), 'dash-audit',
      h('p', { class: 'muted' }, t('dashboard.auditIntro')), chainBox, tableBox);
    loadAudit(tableBox, chainBox);
  } else {
    audit = card(t('dashboard.audit'), 'dash-audit', h('p', { class: 'empty' }, t('dashboard.auditNoPermission')));
  }

  const detection = card(t('dashboard.detection'), 'dash-detection',
    h('p', null, t('dashboard.detectionIntro')),
    h('ul', { class: 'plain-list' },
      h('li', null, h('a', { href: '#/hosts', testid: 'dash-hosts' }, t('nav.hosts')), ' — ', t('dashboard.hostsAvailable')),
      can('ingest:read') ? h('li', null, h('a', { href: '#/hosts/ingestion', testid: 'dash-ingestion' }, t('hosts.tabIngestion')), ' — ', t('dashboard.ingestionAvailable')) : null,
      h('li', null, h('a', { href: '#/alerts', testid: 'dash-alerts' }, t('nav.alerts')), ' — ', t('dashboard.alertsAvailable')),
      h('li', null, h('a', { href: '#/incidents', testid: 'dash-incidents-nav' }, t('nav.incidents')), ' — ', t('dashboard.incidentsAvailable')),
      h('li', null, h('a', { href: '#/rules', testid: 'dash-rules' }, t('nav.rules')), ' — ', t('dashboard.exceptionsAvailable'))));

  mount(el, can('incidents:read') ? incidentMetricsCard() : null, h('div', { class: 'grid grid-2' }, account, detection), audit);
}

export function renderUnavailable(el, text) {
  mount(el, h('section', { class: 'card unavailable', testid: 'unavailable' },
    h('div', { class: 'unavailable-icon', 'aria-hidden': 'true' }),
    h('h2', { class: 'card-title' }, t('unavailable.title')),
    h('p', { testid: 'unavailable-text' }, text),
    h('p', { class: 'muted' }, t('unavailable.available'))));
}
