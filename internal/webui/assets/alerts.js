// Alerts: what the detection rules raised on ingested events, newest first.
import { api, errorText, withQuery } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, badge, messageBox, timeAgo, formatNumber } from './dom.js';
import { can } from './session.js';

const PAGE_SIZE = 50;

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
  if (!can('alerts:read')) {
    mount(el, card(null, 'alerts-no-permission', h('p', { class: 'empty' }, t('alerts.noPermission'))));
    return undefined;
  }
  const msg = messageBox('alerts-error');
  const body = h('div', { testid: 'alerts-list' }, h('p', { class: 'muted' }, t('common.loading')));
  let items = [];
  let cursor = '';

  const moreBtn = h('button', { type: 'button', class: 'btn', testid: 'alerts-more', on: { click: () => load(false) } }, t('common.loadMore'));
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'alerts-refresh', on: { click: () => load(true) } }, t('hosts.refresh'));

  function draw() {
    if (!items.length) {
      mount(body, h('p', { class: 'empty', testid: 'alerts-empty' }, t('alerts.empty')));
      return;
    }
    mount(body,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: 'alerts-table' },
        h('thead', null, h('tr', null, [t('alerts.time'), t('alerts.level'), t('alerts.rule'), t('alerts.tags'), t('alerts.events')]
          .map((x) => h('th', null, x)))),
        h('tbody', null, items.map(alertRow)))),
      cursor ? h('div', { class: 'more' }, moreBtn) : null);
  }

  async function load(reset) {
    moreBtn.disabled = true;
    try {
      const data = await api.get(withQuery('/api/v1/alerts', { limit: PAGE_SIZE, cursor: reset ? '' : cursor }));
      const page = (data && data.items) || [];
      items = reset ? page : items.concat(page);
      cursor = (data && data.next_cursor) || '';
      msg.clear();
      draw();
    } catch (e) {
      msg.error(errorText(e));
      if (reset && !items.length) mount(body);
    } finally {
      moreBtn.disabled = false;
    }
  }

  mount(el, msg.el, card(t('alerts.title'), 'alerts-card',
    h('div', { class: 'toolbar' }, h('p', { class: 'muted' }, t('alerts.intro')), refreshBtn),
    body));
  return load(true);
}
