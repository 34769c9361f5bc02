// The translated names of the incident stage's vocabulary (alert levels and
// statuses, incident severities, lifecycle statuses, resolutions, task phases,
// team roles, entity kinds) and the badges that show them. Each name is its own
// catalog key, written out, so that the catalog tests can check every one; a
// value this console does not know is shown as the server wrote it.
import { t } from './i18n.js';
import { h, badge } from './dom.js';

export const LEVELS = ['critical', 'high', 'medium', 'low', 'informational'];
export const SEVERITIES = ['critical', 'high', 'medium', 'low'];
export const ALERT_STATUSES = ['open', 'acknowledged', 'false_positive', 'closed'];
// The incident lifecycle (NIST SP 800-61), in order.
export const STATUSES = ['new', 'triage', 'investigating', 'contained', 'eradicated', 'recovered', 'closed'];
export const RESOLUTIONS = ['true_positive', 'benign', 'false_positive', 'duplicate'];
export const PHASES = ['confirm', 'contain', 'investigate', 'eradicate', 'recover'];
export const MEMBER_ROLES = ['analyst', 'responder', 'communications', 'watcher'];

export function levelName(level) {
  switch (level) {
    case 'critical': return t('alerts.levelCritical');
    case 'high': return t('alerts.levelHigh');
    case 'medium': return t('alerts.levelMedium');
    case 'low': return t('alerts.levelLow');
    case 'informational': return t('alerts.levelInformational');
    default: return level || '—';
  }
}

function levelKind(level) {
  switch (level) {
    case 'critical': return 'crit';
    case 'high': return 'bad';
    case 'medium': return 'warn';
    default: return '';
  }
}

// levelBadge shows an alert's level or an incident's severity (the same words).
export function levelBadge(level, testid) {
  const el = badge(levelName(level), levelKind(level));
  if (testid) el.dataset.testid = testid;
  el.dataset.value = level || '';
  return el;
}

export function alertStatusName(status) {
  switch (status) {
    case 'open': return t('alertStatus.open');
    case 'acknowledged': return t('alertStatus.acknowledged');
    case 'false_positive': return t('alertStatus.falsePositive');
    case 'closed': return t('alertStatus.closed');
    default: return status || '—';
  }
}

export function alertStatusBadge(status, testid) {
  const kinds = { open: 'warn', acknowledged: 'info', closed: 'ok' };
  const el = badge(alertStatusName(status), kinds[status]);
  if (testid) el.dataset.testid = testid;
  el.dataset.value = status || '';
  return el;
}

export function statusName(status) {
  switch (status) {
    case 'new': return t('status.new');
    case 'triage': return t('status.triage');
    case 'investigating': return t('status.investigating');
    case 'contained': return t('status.contained');
    case 'eradicated': return t('status.eradicated');
    case 'recovered': return t('status.recovered');
    case 'closed': return t('status.closed');
    default: return status || '—';
  }
}

export function statusBadge(status, testid) {
  const kinds = { new: 'warn', triage: 'info', investigating: 'info', contained: 'ok', eradicated: 'ok', recovered: 'ok' };
  const el = badge(statusName(status), kinds[status]);
  if (testid) el.dataset.testid = testid;
  el.dataset.value = status || '';
  return el;
}

export function resolutionName(r) {
  switch (r) {
    case 'true_positive': return t('resolution.truePositive');
    case 'benign': return t('resolution.benign');
    case 'false_positive': return t('resolution.falsePositive');
    case 'duplicate': return t('resolution.duplicate');
    default: return r || '—';
  }
}

export function phaseName(phase) {
  switch (phase) {
    case 'confirm': return t('matrix.phase.confirm');
    case 'contain': return t('matrix.phase.contain');
    case 'investigate': return t('matrix.phase.investigate');
    case 'eradicate': return t('matrix.phase.eradicate');
    case 'recover': return t('matrix.phase.recover');
    default: return phase || '—';
  }
}

export function memberRoleName(role) {
  switch (role) {
    case 'analyst': return t('team.roleAnalyst');
    case 'responder': return t('team.roleResponder');
    case 'communications': return t('team.roleCommunications');
    case 'watcher': return t('team.roleWatcher');
    default: return role || '—';
  }
}

export function entityKindName(kind) {
  switch (kind) {
    case 'host': return t('entity.host');
    case 'user': return t('entity.user');
    case 'ip': return t('entity.ip');
    case 'key': return t('entity.key');
    case 'role': return t('entity.role');
    default: return kind || '—';
  }
}

// entityChips shows entities as "kind value" chips, grouped by kind in a fixed order.
export function entityChips(entities, testid) {
  const order = ['host', 'ip', 'user', 'key', 'role'];
  const list = [...(entities || [])].sort((a, b) => {
    const ra = order.indexOf(a.kind) < 0 ? order.length : order.indexOf(a.kind);
    const rb = order.indexOf(b.kind) < 0 ? order.length : order.indexOf(b.kind);
    return ra - rb;
  });
  if (!list.length) return h('span', { class: 'muted', testid }, '—');
  return h('span', { class: 'chips', testid }, list.map((e) => h('span', {
    class: ['entity', `entity-${e.kind}`], title: entityKindName(e.kind), dataset: { kind: e.kind, value: e.value },
  }, h('span', { class: 'entity-kind' }, entityKindName(e.kind)), ' ', h('code', null, e.value))));
}

export function techniqueChips(list, testid) {
  if (!list || !list.length) return h('span', { class: 'muted', testid }, '—');
  return h('span', { class: 'chips', testid }, list.map((x) => h('a', { href: `#/matrix/${x}`, class: 'mono chip-link' }, x)));
}

// optionList makes <option>s for values, labelled by name, with an optional
// first "all" option (value '').
export function optionList(values, name, allLabel) {
  return [
    allLabel ? h('option', { value: '' }, allLabel) : null,
    ...values.map((v) => h('option', { value: v }, name(v))),
  ];
}

// duration shows seconds as "3 d 4 h", "2 h 5 min", "4 min 10 s".
export function duration(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(Number(seconds))) return '—';
  let s = Math.max(0, Math.round(Number(seconds)));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hr = Math.floor(s / 3600); s -= hr * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const parts = [];
  if (d) parts.push(t('duration.days', { n: d }));
  if (hr) parts.push(t('duration.hours', { n: hr }));
  if (m && !d) parts.push(t('duration.minutes', { n: m }));
  if (!d && !hr && (s || !parts.length)) parts.push(t('duration.seconds', { n: s }));
  return parts.slice(0, 2).join(' ');
}
