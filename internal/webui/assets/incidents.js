// Incidents: the list (a table, or a board with a column per lifecycle status)
// filtered by status and severity, and the incident metrics panel of the
// dashboard. #/incidents/{id} is one incident (incident.js).
import { api, errorText, withQuery } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, messageBox, timeAgo, formatNumber, field } from './dom.js';
import { can } from './session.js';
import {
  STATUSES, SEVERITIES, levelBadge, levelName, statusBadge, statusName, optionList, entityChips, techniqueChips, duration,
} from './labels.js';
import { slaNode } from './sla.js';
import { renderIncident } from './incident.js';

const LIMIT = 200;
const ACTIVE = STATUSES.filter((s) => s !== 'closed').join(',');

export function renderIncidents(el, sub, query) {
  if (!can('incidents:read')) {
    mount(el, card(null, 'incidents-no-permission', h('p', { class: 'empty' }, t('incidents.noPermission'))));
    return undefined;
  }
  if (sub) return renderIncident(el, sub);
  return renderList(el, query || new URLSearchParams());
}

function address(q) {
  const s = q.toString();
  return s ? `#/incidents?${s}` : '#/incidents';
}

function filters(query) {
  const status = h('select', { class: 'input', testid: 'incidents-filter-status' },
    h('option', { value: '' }, t('alerts.filterAll')),
    h('option', { value: ACTIVE }, t('incidents.filterActive')),
    optionList(STATUSES, statusName));
  const severity = h('select', { class: 'input', testid: 'incidents-filter-severity' }, optionList(SEVERITIES, levelName, t('alerts.filterAll')));
  status.value = query.get('status') || '';
  severity.value = query.get('severity') || '';
  const apply = () => {
    const q = new URLSearchParams(query);
    for (const [k, c] of [['status', status], ['severity', severity]]) {
      if (c.value) q.set(k, c.value);
      else q.delete(k);
    }
    location.hash = address(q);
  };
  status.addEventListener('change', apply);
  severity.addEventListener('change', apply);
  return h('div', { class: 'filters', testid: 'incidents-filters' },
    field(t('incidents.status'), status),
    field(t('incidents.severity'), severity));
}

function viewTabs(query, view) {
  const link = (id, label) => {
    const q = new URLSearchParams(query);
    if (id === 'board') q.set('view', 'board');
    else q.delete('view');
    return h('a', {
      href: address(q), class: ['tab', view === id ? 'active' : ''], testid: `incidents-view-${id}`,
      'aria-current': view === id ? 'page' : null,
    }, label);
  };
  return h('nav', { class: 'tabs tabs-small', testid: 'incidents-views' },
    link('table', t('incidents.viewTable')), link('board', t('incidents.viewBoard')));
}

function titleLink(x) {
  return h('a', { href: `#/incidents/${x.id}`, class: 'incident-link', testid: 'incident-link' }, x.title);
}

function commander(x) {
  return x.commander ? h('span', { testid: 'incident-commander' }, x.commander) : h('span', { class: 'muted', testid: 'incident-commander' }, '—');
}

function row(x) {
  return h('tr', { testid: 'incident-row', dataset: { id: String(x.id), status: x.status, severity: x.severity } },
    h('td', { class: 'mono nowrap' }, `#${x.id}`),
    h('td', { testid: 'incident-title' }, titleLink(x)),
    h('td', null, levelBadge(x.severity, 'incident-severity')),
    h('td', null, statusBadge(x.status, 'incident-status')),
    h('td', null, entityChips(x.entities, 'incident-entities')),
    h('td', null, techniqueChips(x.techniques, 'incident-techniques')),
    h('td', { class: 'num', testid: 'incident-alert-count' }, formatNumber(x.alert_count || 0)),
    h('td', null, slaNode(x)),
    h('td', null, commander(x)),
    h('td', { class: 'nowrap' }, timeAgo(x.created_at)));
}

function boardCard(x) {
  return h('article', { class: ['board-card', `sev-${x.severity}`], testid: 'incident-card', dataset: { id: String(x.id), status: x.status } },
    h('div', { class: 'board-card-head' }, h('span', { class: 'mono muted' }, `#${x.id}`), levelBadge(x.severity, 'incident-severity')),
    h('div', { class: 'board-card-title', testid: 'incident-title' }, titleLink(x)),
    entityChips(x.entities, 'incident-entities'),
    techniqueChips(x.techniques, 'incident-techniques'),
    h('div', { class: 'board-card-foot' },
      h('span', { testid: 'incident-alert-count', dataset: { count: String(x.alert_count || 0) } }, t('incidents.alertCount', { count: x.alert_count || 0 })),
      commander(x)),
    slaNode(x));
}

function board(items) {
  return h('div', { class: 'board', testid: 'incidents-board' }, STATUSES.map((s) => {
    const list = items.filter((x) => x.status === s);
    return h('section', { class: 'board-col', testid: 'board-column', dataset: { status: s } },
      h('header', { class: 'board-col-head' }, statusName(s), ' ', h('span', { class: 'badge', testid: 'board-column-count' }, String(list.length))),
      list.length ? list.map(boardCard) : h('p', { class: 'muted small board-empty' }, t('incidents.columnEmpty')));
  }));
}

async function renderList(el, query) {
  const view = query.get('view') === 'board' ? 'board' : 'table';
  const msg = messageBox('incidents-error');
  const body = h('div', { testid: 'incidents-list' }, h('p', { class: 'muted' }, t('common.loading')));
  const refresh = h('button', { type: 'button', class: 'btn btn-small', testid: 'incidents-refresh', on: { click: () => load() } }, t('hosts.refresh'));
  mount(el, msg.el, card(t('incidents.title'), 'incidents-card',
    h('p', { class: 'muted' }, t('incidents.intro')),
    h('div', { class: 'toolbar' }, filters(query), refresh),
    viewTabs(query, view),
    body));

  async function load() {
    try {
      const data = await api.get(withQuery('/api/v1/incidents', { status: query.get('status'), severity: query.get('severity'), limit: LIMIT }));
      const items = (data && data.items) || [];
      msg.clear();
      if (!items.length) {
        mount(body, h('p', { class: 'empty', testid: 'incidents-empty' }, t('incidents.empty')));
        return;
      }
      if (view === 'board') {
        mount(body, board(items));
      } else {
        mount(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: 'incidents-table' },
          h('thead', null, h('tr', null, [t('incidents.id'), t('incidents.titleColumn'), t('incidents.severity'), t('incidents.status'),
            t('incidents.entities'), t('alerts.techniques'), t('incidents.alerts'), t('incidents.sla'), t('incidents.commander'),
            t('common.created')].map((x) => h('th', null, x)))),
          h('tbody', null, items.map(row)))));
      }
      if (data.next_cursor) body.appendChild(h('p', { class: 'muted small' }, t('incidents.truncated', { count: items.length })));
    } catch (e) {
      msg.error(errorText(e));
      mount(body);
    }
  }
  return load();
}

function statCell(label, stat, testid) {
  const n = stat && stat.count;
  return h('div', { class: 'stat', testid, dataset: { count: String(n || 0) } },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, n ? duration(stat.mean_seconds) : '—'),
    h('div', { class: 'muted small' }, n ? t('metrics.meanOf', { count: n }) : t('metrics.noData')));
}

// incidentMetricsCard is the dashboard's panel: incidents of the last 30 days.
export function incidentMetricsCard() {
  const body = h('div', null, h('p', { class: 'muted' }, t('common.loading')));
  const el = card(t('metrics.title'), 'dash-incidents', h('p', { class: 'muted' }, t('metrics.intro')), body);
  (async () => {
    try {
      const m = await api.get('/api/v1/metrics/incidents');
      const sev = m.by_severity || {};
      const breaches = m.sla_breaches || 0;
      mount(body,
        h('div', { class: 'stats' },
          h('div', { class: 'stat', testid: 'metrics-open' },
            h('div', { class: 'stat-label' }, t('metrics.open')),
            h('div', { class: 'stat-value', testid: 'metrics-open-value' }, formatNumber(m.open || 0)),
            h('div', { class: 'muted small' }, t('metrics.ofTotal', { count: m.count || 0 }))),
          h('div', { class: ['stat', breaches ? 'stat-bad' : ''], testid: 'metrics-breaches' },
            h('div', { class: 'stat-label' }, t('metrics.breaches')),
            h('div', { class: 'stat-value', testid: 'metrics-breaches-value' }, formatNumber(breaches)))),
        h('div', { class: 'chips severity-counts', testid: 'metrics-by-severity' },
          SEVERITIES.map((s) => h('span', { class: 'sev-count', dataset: { severity: s, count: String(sev[s] || 0) } },
            levelBadge(s), ' ', formatNumber(sev[s] || 0)))),
        h('div', { class: 'stats' },
          statCell(t('metrics.timeToDetect'), m.time_to_detect, 'metrics-ttd'),
          statCell(t('metrics.timeToAcknowledge'), m.time_to_acknowledge, 'metrics-tta'),
          statCell(t('metrics.timeToContain'), m.time_to_contain, 'metrics-ttc'),
          statCell(t('metrics.timeToResolve'), m.time_to_resolve, 'metrics-ttr')),
        h('p', null, h('a', { href: '#/incidents', testid: 'dash-incidents-link' }, t('metrics.seeIncidents'))));
    } catch (e) {
      const msg = messageBox('metrics-error');
      msg.error(errorText(e));
      mount(body, msg.el);
    }
  })();
  return el;
}
