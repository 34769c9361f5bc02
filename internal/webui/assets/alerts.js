// The alert queue: what the detection rules raised, newest first, filtered by
// status, level, technique and host (the filters are the query of both the page's
// address and GET /api/v1/alerts, so a filtered queue can be bookmarked), with
// bulk actions for callers who may change alerts. #/alerts/{id} is one alert
// (alert.js).
import { api, errorText, withQuery } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, messageBox, timeAgo, formatNumber, field } from './dom.js';
import { can } from './session.js';
import {
  LEVELS, ALERT_STATUSES, levelBadge, levelName, alertStatusBadge, alertStatusName, optionList, techniqueChips,
} from './labels.js';
import { loadUsernames, personInput } from './people.js';
import { renderAlert } from './alert.js';

const PAGE_SIZE = 100;
export const FILTERS = ['status', 'level', 'technique', 'host'];

// The status filter offers the single statuses and "not done yet" (open and
// acknowledged), the queue's default working view.
const ACTIVE = 'open,acknowledged';

export function renderAlerts(el, sub, query) {
  if (!can('alerts:read')) {
    mount(el, card(null, 'alerts-no-permission', h('p', { class: 'empty' }, t('alerts.noPermission'))));
    return undefined;
  }
  if (sub) return renderAlert(el, sub);
  return renderQueue(el, query || new URLSearchParams());
}

function filterForm(values) {
  const status = h('select', { class: 'input', testid: 'alerts-filter-status', name: 'status' },
    h('option', { value: '' }, t('alerts.filterAll')),
    h('option', { value: ACTIVE }, t('alerts.filterActive')),
    optionList(ALERT_STATUSES, alertStatusName));
  const level = h('select', { class: 'input', testid: 'alerts-filter-level', name: 'level' },
    optionList(LEVELS, levelName, t('alerts.filterAll')));
  const technique = h('input', { class: 'input', type: 'text', testid: 'alerts-filter-technique', name: 'technique', placeholder: 'CS-IA-03', autocomplete: 'off' });
  const host = h('input', { class: 'input', type: 'text', testid: 'alerts-filter-host', name: 'host', placeholder: 'web-1', autocomplete: 'off' });
  const controls = { status, level, technique, host };
  for (const k of FILTERS) controls[k].value = values.get(k) || '';
  // A status list the menu does not offer (from a hand-written address) stays as it is.
  if (values.get('status') && status.value !== values.get('status')) {
    status.appendChild(h('option', { value: values.get('status') }, values.get('status')));
    status.value = values.get('status');
  }
  const apply = () => {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (controls[k].value.trim()) q.set(k, controls[k].value.trim());
    const s = q.toString();
    location.hash = s ? `#/alerts?${s}` : '#/alerts';
  };
  status.addEventListener('change', apply);
  level.addEventListener('change', apply);
  const form = h('form', { class: 'filters', testid: 'alerts-filters', on: { submit: (ev) => { ev.preventDefault(); apply(); } } },
    field(t('alerts.status'), status),
    field(t('alerts.level'), level),
    field(t('alerts.technique'), technique),
    field(t('alerts.host'), host),
    h('div', { class: 'filter-buttons' },
      h('button', { type: 'submit', class: 'btn', testid: 'alerts-filter-apply' }, t('alerts.filterApply')),
      h('a', { href: '#/alerts', class: 'btn btn-link', testid: 'alerts-filter-reset' }, t('alerts.filterReset'))));
  return form;
}

function incidentLink(a) {
  if (!a.incident_id) return h('span', { class: 'muted' }, '—');
  return h('a', { href: `#/incidents/${a.incident_id}`, testid: 'alert-incident', class: 'mono' }, `#${a.incident_id}`);
}

function renderQueue(el, query) {
  const msg = messageBox('alerts-msg');
  const writable = can('alerts:write');
  const body = h('div', { testid: 'alerts-list' }, h('p', { class: 'muted' }, t('common.loading')));
  const bulkBox = h('div', { testid: 'alerts-bulk-box' });
  const params = {};
  for (const k of FILTERS) if (query.get(k)) params[k] = query.get(k);
  let items = [];
  let cursor = '';
  const selected = new Set();
  let names = null;

  const moreBtn = h('button', { type: 'button', class: 'btn', testid: 'alerts-more', on: { click: () => load(false) } }, t('common.loadMore'));
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'alerts-refresh', on: { click: () => load(true) } }, t('hosts.refresh'));
  const countLabel = h('span', { class: 'muted', testid: 'alerts-selected' });
  const allBox = h('input', { type: 'checkbox', testid: 'alerts-select-all', 'aria-label': t('alerts.selectAll') });
  allBox.addEventListener('change', () => {
    for (const a of items) {
      if (allBox.checked) selected.add(a.id);
      else selected.delete(a.id);
    }
    for (const box of body.querySelectorAll('input[data-alert]')) box.checked = allBox.checked;
    updateSelection();
  });

  function updateSelection() {
    countLabel.textContent = t('alerts.selected', { count: selected.size });
    allBox.checked = items.length > 0 && items.every((a) => selected.has(a.id));
    allBox.indeterminate = selected.size > 0 && !allBox.checked;
    for (const b of bulkBox.querySelectorAll('button')) b.disabled = selected.size === 0;
  }

  function row(a) {
    const box = h('input', { type: 'checkbox', testid: 'alert-select', dataset: { alert: String(a.id) }, 'aria-label': t('alerts.selectOne', { id: a.id }) });
    box.checked = selected.has(a.id);
    box.addEventListener('change', () => {
      if (box.checked) selected.add(a.id);
      else selected.delete(a.id);
      updateSelection();
    });
    return h('tr', { testid: 'alert-row', dataset: { id: String(a.id), rule: a.rule_id, status: a.status } },
      writable ? h('td', { class: 'check-cell' }, box) : null,
      h('td', { class: 'nowrap' }, timeAgo(a.time || a.last_event)),
      h('td', { testid: 'alert-level' }, levelBadge(a.level)),
      h('td', { testid: 'alert-title' }, h('a', { href: `#/alerts/${a.id}`, testid: 'alert-link' }, a.rule_title || a.rule_id || '—')),
      h('td', { testid: 'alert-techniques' }, techniqueChips(a.techniques)),
      h('td', { class: 'mono nowrap', testid: 'alert-host' }, a.host || '—'),
      h('td', { class: 'num', testid: 'alert-count' }, formatNumber(a.count || 1)),
      h('td', { testid: 'alert-status' }, alertStatusBadge(a.status)),
      h('td', { testid: 'alert-assignee' }, a.assignee || h('span', { class: 'muted' }, '—')),
      h('td', { testid: 'alert-incident-cell' }, incidentLink(a)));
  }

  function draw() {
    if (!items.length) {
      mount(body, h('p', { class: 'empty', testid: 'alerts-empty' }, Object.keys(params).length ? t('alerts.emptyFiltered') : t('alerts.empty')));
      updateSelection();
      return;
    }
    const heads = [t('alerts.time'), t('alerts.level'), t('alerts.rule'), t('alerts.techniques'), t('alerts.host'),
      t('alerts.count'), t('alerts.status'), t('alerts.assignee'), t('alerts.incident')];
    mount(body,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: 'alerts-table' },
        h('thead', null, h('tr', null, writable ? h('th', { class: 'check-cell' }, allBox) : null, heads.map((x) => h('th', null, x)))),
        h('tbody', null, items.map(row)))),
      cursor ? h('div', { class: 'more' }, moreBtn) : null);
    updateSelection();
  }

  async function load(reset) {
    moreBtn.disabled = true;
    try {
      const limit = reset ? Math.min(500, Math.max(PAGE_SIZE, items.length)) : PAGE_SIZE;
      const data = await api.get(withQuery('/api/v1/alerts', { ...params, limit, cursor: reset ? '' : cursor }));
      const page = (data && data.items) || [];
      items = reset ? page : items.concat(page);
      cursor = (data && data.next_cursor) || '';
      const shown = new Set(items.map((a) => a.id));
      for (const id of [...selected]) if (!shown.has(id)) selected.delete(id);
      draw();
    } catch (e) {
      msg.error(errorText(e));
      if (reset && !items.length) mount(body);
    } finally {
      moreBtn.disabled = false;
    }
  }

  async function bulk(action, extra, okText) {
    msg.clear();
    const ids = [...selected];
    if (!ids.length) return;
    try {
      await api.post('/api/v1/alerts/bulk', { ids, action, ...extra });
      selected.clear();
      msg.success(okText(ids.length));
      await load(true);
    } catch (e) {
      msg.error(errorText(e));
    }
  }

  function drawBulk() {
    const assignee = personInput(names, '', 'alerts-bulk-assignee', false);
    const incidentID = h('input', { class: 'input input-narrow', type: 'number', min: '1', testid: 'alerts-bulk-incident', placeholder: t('alerts.incidentId') });
    const btn = (action, label, okText, extra) => h('button', {
      type: 'button', class: 'btn btn-small', testid: `alerts-bulk-${action}`,
      on: { click: () => bulk(action, extra ? extra() : {}, okText) },
    }, label);
    mount(bulkBox, h('div', { class: 'bulk-bar', testid: 'alerts-bulk' },
      countLabel,
      btn('acknowledge', t('alerts.bulkAcknowledge'), (n) => t('alerts.bulkDone', { count: n })),
      btn('false_positive', t('alerts.bulkFalsePositive'), (n) => t('alerts.bulkDone', { count: n })),
      btn('close', t('alerts.bulkClose'), (n) => t('alerts.bulkDone', { count: n })),
      btn('reopen', t('alerts.bulkReopen'), (n) => t('alerts.bulkDone', { count: n })),
      h('span', { class: 'bulk-group' }, assignee,
        btn('assign', t('alerts.bulkAssign'), (n) => t('alerts.bulkAssigned', { count: n, user: assignee.value }),
          () => ({ assignee: assignee.value.trim() }))),
      h('span', { class: 'bulk-group' }, incidentID,
        btn('attach', t('alerts.bulkAttach'), (n) => t('alerts.bulkAttached', { count: n, id: incidentID.value }),
          () => ({ incident_id: Number(incidentID.value) || 0 })))));
    updateSelection();
  }

  mount(el, msg.el, card(t('alerts.title'), 'alerts-card',
    h('p', { class: 'muted' }, t('alerts.intro')),
    filterForm(query),
    writable ? bulkBox : null,
    h('div', { class: 'toolbar toolbar-end' }, refreshBtn),
    body));
  if (writable) {
    // The bar appears once the people to assign to are known, so that a choice
    // made in it is never redrawn away.
    loadUsernames().then((list) => {
      names = list;
      if (el.isConnected) drawBulk();
    });
  }
  return load(true);
}
