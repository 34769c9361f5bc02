// Alerts: what the detection rules raised on ingested events, newest first.
import { t } from './i18n.js';
import { h, badge, messageBox, timeAgo, formatNumber } from './dom.js';
import { renderPagedTable } from './paged.js';

// levelBadge shows a rule's level; unknown levels are shown as written.
function levelBadge(level) {
  const names = {
    critical: t('alerts.levelCritical'),
    high: t('alerts.levelHigh'),
    medium: t('alerts.levelMedium'),
    low: t('alerts.levelLow'),
    informational: t('alerts.levelInformational'),
  };
  const kinds = { critical: 'bad', high: 'bad', medium: 'warn' };
  return badge(names[level] || level || '—', kinds[level]);
}

function alertRow(a) {
  const rule = a.rule || {};
  const tags = Array.isArray(rule.tags) ? rule.tags : [];
  const count = (a.alert && a.alert.event && a.alert.event.count) || (a.event_ids || []).length;
  return h('tr', { testid: 'alert-row', dataset: { id: String(a.id) } },
    h('td', { class: 'nowrap' }, timeAgo(a.time)),
    h('td', { testid: 'alert-level' }, levelBadge(rule.level)),
    h('td', { testid: 'alert-title' }, rule.title || rule.id || '—'),
    h('td', { testid: 'alert-tags' }, tags.map((x) => h('span', { class: 'badge' }, x))),
    h('td', { testid: 'alert-events' }, formatNumber(count)));
}

export function renderAlerts(el) {
  return renderPagedTable(el, {
    id: 'alerts',
    permission: 'alerts:read',
    path: '/api/v1/alerts',
    msg: messageBox('alerts-error'),
    texts: { title: t('alerts.title'), intro: t('alerts.intro'), empty: t('alerts.empty'), noPermission: t('alerts.noPermission') },
    columns: [t('alerts.time'), t('alerts.level'), t('alerts.rule'), t('alerts.tags'), t('alerts.events')],
    row: alertRow,
  });
}
