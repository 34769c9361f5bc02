// One alert (#/alerts/{id}): what matched (the fields, a correlation's group and
// window, the events), the entities it is about, quick status changes, and the
// "false positive → exception" form, which suppresses the alert's rule on chosen
// field values from now on.
import { api, errorText } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, messageBox, timeAgo, formatNumber, field } from './dom.js';
import { can } from './session.js';
import { levelBadge, alertStatusBadge, entityChips, techniqueChips } from './labels.js';

// The event field each entity kind comes from (docs/INCIDENTS.md).
const ENTITY_FIELDS = { host: 'host.name', user: 'user.name', ip: 'source.ip', key: 'user.access_key.id', role: 'user.roles' };

function scalar(v) {
  return v !== undefined && v !== null && typeof v !== 'object';
}

// exceptionCandidates lists the fields an exception may be scoped on, with the
// alert's values: the entities (checked: they say who and where), a
// correlation's group-by values (checked) and the rule's matched fields (not
// checked: they are what the rule looks for, so they would suppress it
// everywhere). A user entity is scoped ("root@web-1"); the event field holds the
// bare name, which the matched fields give when they have it.
export function exceptionCandidates(a) {
  const doc = (a && a.alert) || {};
  const matched = doc.matched && typeof doc.matched === 'object' ? doc.matched : {};
  const group = doc.group && typeof doc.group === 'object' ? doc.group : {};
  const out = new Map();
  const add = (name, value, source, checked) => {
    if (!scalar(value) || String(value) === '') return;
    const cur = out.get(name);
    if (!cur) out.set(name, { field: name, value: String(value), source, checked });
    else if (checked) cur.checked = true;
  };
  for (const e of (a && a.entities) || []) {
    const name = ENTITY_FIELDS[e.kind];
    if (!name) continue;
    let value = e.value;
    if (e.kind === 'user') value = scalar(matched['user.name']) ? matched['user.name'] : String(e.value).replace(/@[^@]*$/, '');
    add(name, value, 'entity', e.kind !== 'role');
  }
  for (const [k, v] of Object.entries(group)) add(k, v, 'group', true);
  for (const [k, v] of Object.entries(matched)) add(k, v, 'matched', false);
  return [...out.values()];
}

function sourceName(source) {
  switch (source) {
    case 'entity': return t('exception.fromEntity');
    case 'group': return t('exception.fromGroup');
    default: return t('exception.fromMatched');
  }
}

function valueText(v) {
  if (v === undefined || v === null) return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function exceptionForm(a, onCreated) {
  const msg = messageBox('exception-error');
  const rows = exceptionCandidates(a).map((c) => {
    const box = h('input', { type: 'checkbox', testid: 'exception-field-check', dataset: { field: c.field }, checked: c.checked });
    const value = h('input', { class: 'input input-small', type: 'text', testid: 'exception-field-value', dataset: { field: c.field }, value: c.value });
    return { field: c.field, box, value, el: h('tr', { testid: 'exception-field', dataset: { field: c.field } },
      h('td', { class: 'check-cell' }, box), h('td', null, h('code', null, c.field)), h('td', null, value),
      h('td', { class: 'muted small' }, sourceName(c.source))) };
  });
  const extraName = h('input', { class: 'input input-small', type: 'text', testid: 'exception-extra-field', placeholder: 'process.name', autocomplete: 'off' });
  const extraValue = h('input', { class: 'input input-small', type: 'text', testid: 'exception-extra-value', autocomplete: 'off' });
  const reason = h('textarea', { class: 'input', rows: '3', testid: 'exception-reason' });
  const expires = h('input', { class: 'input', type: 'datetime-local', testid: 'exception-expires' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'exception-submit' }, t('exception.submit'));

  async function onSubmit(ev) {
    ev.preventDefault();
    msg.clear();
    const fields = {};
    for (const r of rows) if (r.box.checked) fields[r.field] = r.value.value;
    if (extraName.value.trim()) fields[extraName.value.trim()] = extraValue.value;
    const body = { fields, reason: reason.value };
    if (expires.value) {
      const d = new Date(expires.value);
      if (Number.isNaN(d.getTime())) {
        msg.error(t('exception.badExpiry'));
        return;
      }
      body.expires = d.toISOString();
    }
    submit.disabled = true;
    try {
      const created = await api.post(`/api/v1/alerts/${a.id}/exception`, body);
      onCreated(created);
    } catch (e) {
      msg.error(errorText(e));
    } finally {
      submit.disabled = false;
    }
  }

  return card(t('exception.title'), 'exception-card',
    h('p', { class: 'muted' }, t('exception.intro', { rule: a.rule_title || a.rule_id })),
    h('form', { class: 'form form-wide', testid: 'exception-form', on: { submit: onSubmit } },
      msg.el,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'exception-fields' },
        h('thead', null, h('tr', null, h('th', { class: 'check-cell' }, ''), h('th', null, t('exception.field')),
          h('th', null, t('exception.value')), h('th', null, t('exception.source')))),
        h('tbody', null, rows.map((r) => r.el),
          h('tr', null, h('td', { class: 'check-cell' }, ''), h('td', null, extraName), h('td', null, extraValue),
            h('td', { class: 'muted small' }, t('exception.extra')))))),
      field(t('exception.reason'), reason, t('exception.reasonHint')),
      field(t('exception.expires'), expires, t('exception.expiresHint')),
      submit));
}

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(Boolean).map(([k, v, testid]) => [h('dt', null, k), h('dd', { testid }, v)]));
}

function matchedCard(doc) {
  const matched = doc.matched && typeof doc.matched === 'object' ? Object.entries(doc.matched) : [];
  return card(t('alert.matched'), 'alert-matched',
    matched.length
      ? h('table', { class: 'table' }, h('tbody', null, matched.map(([k, v]) => h('tr', { testid: 'alert-matched-field', dataset: { field: k } },
        h('td', { class: 'mono' }, k), h('td', { class: 'mono' }, valueText(v))))))
      : h('p', { class: 'muted' }, t('alert.noMatched')));
}

function correlationCard(a, doc) {
  const group = doc.group && typeof doc.group === 'object' ? Object.entries(doc.group) : [];
  const win = doc.window || {};
  const corr = doc.correlation || {};
  if (!group.length && !a.group_key && !win.start && !corr.type) return null;
  return card(t('alert.correlation'), 'alert-correlation', facts([
    [t('alert.group'), group.length
      ? h('span', { class: 'chips' }, group.map(([k, v]) => h('code', null, `${k}=${valueText(v)}`)))
      : h('code', null, a.group_key || '—'), 'alert-group'],
    win.start || win.end ? [t('alert.window'), h('span', null, timeAgo(win.start), ' → ', timeAgo(win.end)), 'alert-window'] : null,
    corr.type ? [t('alert.correlationType'), h('code', null, corr.value !== undefined ? `${corr.type} (${corr.value})` : corr.type)] : null,
  ]));
}

export async function renderAlert(el, sub) {
  const id = Number(sub);
  const top = messageBox('alert-msg');
  const body = h('div', { testid: 'alert-detail' }, h('p', { class: 'muted' }, t('common.loading')));
  mount(el, h('p', { class: 'back' }, h('a', { href: '#/alerts', testid: 'alert-back' }, `← ${t('alerts.title')}`)), top.el, body);

  async function act(action) {
    top.clear();
    try {
      await api.post('/api/v1/alerts/bulk', { ids: [id], action });
      top.success(t('alerts.bulkDone', { count: 1 }));
      await load();
    } catch (e) {
      top.error(errorText(e));
    }
  }

  async function load() {
    let a;
    try {
      a = await api.get(`/api/v1/alerts/${id}`);
    } catch (e) {
      mount(body);
      top.error(errorText(e));
      return;
    }
    if (!el.isConnected) return;
    const doc = a.alert || {};
    const actions = can('alerts:write') ? h('div', { class: 'actions actions-start', testid: 'alert-actions' },
      a.status === 'open' ? h('button', { type: 'button', class: 'btn btn-small', testid: 'alert-acknowledge', on: { click: () => act('acknowledge') } }, t('alerts.bulkAcknowledge')) : null,
      a.status !== 'closed' && a.status !== 'false_positive' ? h('button', { type: 'button', class: 'btn btn-small', testid: 'alert-close', on: { click: () => act('close') } }, t('alerts.bulkClose')) : null,
      a.status !== 'open' ? h('button', { type: 'button', class: 'btn btn-small', testid: 'alert-reopen', on: { click: () => act('reopen') } }, t('alerts.bulkReopen')) : null) : null;
    const eventIDs = a.event_ids || [];
    const total = (doc.event && doc.event.count) || eventIDs.length;
    mount(body,
      card(null, 'alert-summary',
        h('div', { class: 'host-head' },
          h('h2', { class: 'host-name', testid: 'alert-rule-title' }, a.rule_title || a.rule_id),
          levelBadge(a.level, 'alert-level'), alertStatusBadge(a.status, 'alert-status')),
        facts([
          [t('alert.ruleId'), h('code', null, a.rule_id)],
          [t('alert.kind'), a.kind === 'correlation' ? t('alert.kindCorrelation') : t('alert.kindDetection')],
          [t('alerts.host'), h('span', { class: 'mono' }, a.host || '—'), 'alert-host'],
          [t('alerts.count'), formatNumber(a.count || 1), 'alert-count'],
          [t('alert.firstEvent'), timeAgo(a.first_event)],
          [t('alert.lastEvent'), timeAgo(a.last_event)],
          [t('alert.firstSeen'), timeAgo(a.first_seen)],
          [t('alert.lastSeen'), timeAgo(a.last_seen)],
          [t('alerts.assignee'), a.assignee || '—', 'alert-assignee'],
          [t('alerts.incident'), a.incident_id ? h('a', { href: `#/incidents/${a.incident_id}`, testid: 'alert-incident' }, `#${a.incident_id}`) : '—'],
          [t('alerts.techniques'), techniqueChips(a.techniques, 'alert-techniques')],
          [t('alert.tags'), h('span', { class: 'chips' }, (a.tags || []).map((x) => h('code', null, x)))],
          [t('alert.entities'), entityChips(a.entities, 'alert-entities')],
        ]),
        actions),
      matchedCard(doc),
      correlationCard(a, doc),
      card(t('alert.events'), 'alert-events',
        h('p', { class: 'muted' }, t('alert.eventsShown', { shown: eventIDs.length, total })),
        h('ul', { class: 'id-list' }, eventIDs.map((x) => h('li', { class: 'mono', testid: 'alert-event-id' }, x)))),
      can('exceptions:write') ? exceptionForm(a, (x) => {
        top.success(t('exception.created', { id: x.id }));
        top.el.appendChild(h('div', null, h('a', { href: '#/rules', testid: 'exception-rules-link' }, t('exception.seeRules'))));
        load();
      }) : null);
  }
  return load();
}
