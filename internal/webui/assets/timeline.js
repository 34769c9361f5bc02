// An incident's timeline in the console's language. The server writes each entry
// in English, with a kind and a JSON detail that holds the entry's facts (the
// statuses of a change, the severities, the team member and role, the task and
// what changed in it, the SLA and its due time, the incidents merged or split).
// Where the detail says what happened, the entry is told again from the catalog;
// an entry without the facts it needs (written before the server recorded them)
// is shown as the server wrote it. A told entry keeps the server's text as its
// tooltip.
import { t, currentLanguage } from './i18n.js';
import { h, card, formatTime } from './dom.js';
import {
  statusName, resolutionName, levelName, alertStatusName, memberRoleName,
} from './labels.js';

function parseDetail(detail) {
  if (!detail) return {};
  if (typeof detail === 'object') return detail;
  try {
    const v = JSON.parse(detail);
    return v && typeof v === 'object' ? v : {};
  } catch (_) {
    return {};
  }
}

const has = (d, key) => Object.prototype.hasOwnProperty.call(d, key);
const isId = (v) => Number.isInteger(v) && v > 0;
const isText = (v) => typeof v === 'string' && v !== '';

// An alert's status change and its move out of the incident name the status and
// the move in their detail; entries written before the server recorded them carry
// only the alert's id, and are read from the sentence, whose shape is fixed.
const ALERT_STATUSES = ['open', 'acknowledged', 'false_positive', 'closed'];
const ALERT_STATUS = /^Alert (\d+): (open|acknowledged|false_positive|closed)$/;
const ALERT_OUT = /^Alert (\d+) moved out$/;

// dueTime is a due time, or null for Go's zero time (no due time).
function dueTime(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.getUTCFullYear() <= 1 ? null : formatTime(d);
}

// taskTitle is the task's title as the entry recorded it, in Chinese when the
// task is a checklist step with a translation and has kept that title since.
function taskTitle(d, v) {
  const task = (v.tasks || []).find((x) => x.id === d.task);
  if (task && currentLanguage() === 'zh-CN' && task.title_zh && task.title === d.title) return task.title_zh;
  return d.title;
}

function taskEntry(d, v) {
  if (!isId(d.task) || !isText(d.title)) return null;
  const title = taskTitle(d, v);
  if (d.added === true) return t('timeline.taskAdded', { title });
  const out = [];
  if (has(d, 'status')) {
    const s = { open: t('timeline.taskOpen'), done: t('timeline.taskDone'), skipped: t('timeline.taskSkipped') }[d.status];
    if (!s) return null;
    out.push(s);
  }
  if (has(d, 'owner')) out.push(d.owner ? t('timeline.taskOwner', { user: d.owner }) : t('timeline.taskNoOwner'));
  if (has(d, 'due')) {
    const due = dueTime(d.due);
    if (due === undefined) return null;
    out.push(due === null ? t('timeline.taskNoDue') : t('timeline.taskDue', { time: due }));
  }
  if (isText(d.old_title)) out.push(t('timeline.taskRenamed', { title: d.old_title }));
  return out.length ? t('timeline.taskChanged', { title, changes: out.join(t('timeline.listSeparator')) }) : null;
}

function alertEntry(e, d, v) {
  if (!isId(d.alert)) return null;
  if (isId(d.exception)) return t('timeline.alertFalsePositive', { id: d.alert, exception: d.exception });
  if (isText(d.rule)) {
    // The detail names the rule by id; its title is the alert's, or the sentence's.
    const a = (v.alerts || []).find((x) => x.id === d.alert);
    const prefix = `Alert ${d.alert}: `;
    const title = a ? a.rule_title : ((e.text || '').startsWith(prefix) ? e.text.slice(prefix.length) : d.rule);
    return t('timeline.alertAdded', { id: d.alert, rule: title, level: levelName(d.level) });
  }
  if (ALERT_STATUSES.includes(d.status)) return t('timeline.alertStatus', { id: d.alert, status: alertStatusName(d.status) });
  if (d.moved_out === true) return t('timeline.alertMovedOut', { id: d.alert });
  let m = ALERT_STATUS.exec(e.text || '');
  if (m && Number(m[1]) === d.alert) return t('timeline.alertStatus', { id: d.alert, status: alertStatusName(m[2]) });
  m = ALERT_OUT.exec(e.text || '');
  if (m && Number(m[1]) === d.alert) return t('timeline.alertMovedOut', { id: d.alert });
  return null;
}

function memberEntry(d) {
  if (!has(d, 'username') || !has(d, 'role')) return null;
  if (d.role === 'commander') return d.username ? t('timeline.commander', { user: d.username }) : t('timeline.commanderNone');
  if (!isText(d.username)) return null;
  if (d.role === '') return t('timeline.memberLeft', { user: d.username });
  return t('timeline.member', { user: d.username, role: memberRoleName(d.role) });
}

function statusEntry(d) {
  if (isId(d.merged_into)) return t('timeline.mergedInto', { id: d.merged_into });
  if (!isText(d.from) || !isText(d.to)) return null;
  if (d.to === 'closed' && d.resolution) {
    return t('timeline.statusClosed', { from: statusName(d.from), resolution: resolutionName(d.resolution) });
  }
  return t('timeline.status', { from: statusName(d.from), to: statusName(d.to) });
}

function createdEntry(d) {
  if (d.manual === true) {
    const alerts = Array.isArray(d.alerts) ? d.alerts.filter(isId) : [];
    return alerts.length ? t('timeline.openedByHandAlerts', { alerts: alerts.join(t('timeline.listSeparator')) })
      : t('timeline.openedByHand');
  }
  if (d.manual === false && isText(d.rule_title)) return t('timeline.openedFromAlert', { rule: d.rule_title });
  return null;
}

function slaEntry(d) {
  const due = isText(d.due) ? dueTime(d.due) : undefined;
  if (!due) return null;
  if (d.sla === 'acknowledge') return t('timeline.slaAck', { time: due });
  if (d.sla === 'contain') return t('timeline.slaContain', { time: due });
  return null;
}

// entryText is the translated sentence of an entry, or null to keep the server's.
export function entryText(e, v) {
  const d = parseDetail(e.detail);
  switch (e.kind) {
    case 'created':
      return createdEntry(d);
    case 'status':
      return statusEntry(d);
    case 'severity':
      if (!isText(d.from) || !isText(d.to) || typeof d.manual !== 'boolean') return null;
      return d.manual ? t('timeline.severityManual', { from: levelName(d.from), to: levelName(d.to) })
        : t('timeline.severity', { from: levelName(d.from), to: levelName(d.to) });
    case 'alert':
      return alertEntry(e, d, v);
    case 'member':
      return memberEntry(d);
    case 'task':
      return taskEntry(d, v);
    case 'sla_breach':
      return slaEntry(d);
    case 'comment': {
      if (isText(d.author)) return t('timeline.commented', { user: d.author });
      const c = isId(d.comment) ? (v.comments || []).find((x) => x.id === d.comment) : null;
      return c ? t('timeline.commented', { user: c.author }) : null;
    }
    case 'merge':
      return isId(d.incident) ? t('timeline.mergedIn', { id: d.incident }) : null;
    case 'split':
      return isId(d.incident) && Array.isArray(d.alerts) ? t('timeline.split', { count: d.alerts.length, id: d.incident }) : null;
    default:
      return null;
  }
}

export function timelineCard(v) {
  const list = v.timeline || [];
  return card(t('incident.timeline'), 'incident-timeline',
    list.length ? h('ol', { class: 'timeline' }, list.map((e) => {
      const said = entryText(e, v);
      return h('li', { class: ['timeline-entry', `tl-${e.kind}`], testid: 'timeline-entry', dataset: { kind: e.kind, id: String(e.id), translated: String(!!said) } },
        h('div', { class: 'timeline-meta' }, h('span', { class: 'nowrap' }, formatTime(e.time)), ' · ',
          h('span', { class: 'timeline-actor' }, e.actor === 'system' ? t('timeline.system') : e.actor)),
        h('div', { class: 'timeline-text', testid: 'timeline-text', title: said ? e.text : null }, said || e.text));
    }))
      : h('p', { class: 'empty' }, t('common.none')));
}
