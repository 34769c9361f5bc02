// An incident's timeline in the console's language. The server writes each entry
// in English, with a kind and, for some kinds, a JSON detail; where the kind and
// the detail (or the English sentence's fixed shape) say what happened, the entry
// is told again from the catalog, else it is shown as the server wrote it.
import { t, currentLanguage } from './i18n.js';
import { h, card, formatTime } from './dom.js';
import {
  statusName, resolutionName, levelName, alertStatusName, memberRoleName, MEMBER_ROLES,
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

const SEVERITY = /^Severity (\w+) → (\w+)( \(set by hand\))?$/;
const ALERT_STATUS = /^Alert (\d+): (open|acknowledged|false_positive|closed)$/;
const ALERT_OUT = /^Alert (\d+) moved out$/;
const ALERT_FP = /^Alert (\d+) marked false positive; exception (\d+) created$/;
const MERGED_INTO = /^Merged into incident (\d+)$/;
const MERGED_IN = /^Incident (\d+) merged in$/;
const SPLIT = /^(\d+) alerts split off into incident (\d+)$/;
const COMMANDER = /^Incident commander: (.+)$/;
const LEFT = /^(.+) left the team$/;
const MEMBER = new RegExp(`^(.+) is (${MEMBER_ROLES.join('|')})$`);
const SLA_DUE = / by (\S+)$/;

function taskTitle(task) {
  return currentLanguage() === 'zh-CN' && task.title_zh ? task.title_zh : task.title;
}

// taskChanges translates "status done, owner bob, due 2026-…" or returns null.
function taskChanges(text) {
  const out = [];
  for (const part of text.split(', ')) {
    let m = /^status (open|done|skipped)$/.exec(part);
    if (m) {
      const s = { open: t('timeline.taskOpen'), done: t('timeline.taskDone'), skipped: t('timeline.taskSkipped') }[m[1]];
      out.push(s);
      continue;
    }
    m = /^owner (.+)$/.exec(part);
    if (m) {
      out.push(m[1] === '(none)' ? t('timeline.taskNoOwner') : t('timeline.taskOwner', { user: m[1] }));
      continue;
    }
    m = /^due (\S+)$/.exec(part);
    if (m) {
      const d = new Date(m[1]);
      if (Number.isNaN(d.getTime())) return null;
      out.push(d.getUTCFullYear() <= 1 ? t('timeline.taskNoDue') : t('timeline.taskDue', { time: formatTime(d) }));
      continue;
    }
    return null;
  }
  return out.length ? out.join(t('timeline.listSeparator')) : null;
}

function taskEntry(e, d, v) {
  const task = (v.tasks || []).find((x) => x.id === d.task);
  if (!task) return null;
  if (e.text.startsWith('Task added: ')) return t('timeline.taskAdded', { title: taskTitle(task) });
  const prefix = `Task ${task.title}: `;
  if (!e.text.startsWith(prefix)) return null;
  const changes = taskChanges(e.text.slice(prefix.length));
  return changes ? t('timeline.taskChanged', { title: taskTitle(task), changes }) : null;
}

function alertEntry(e, d, v) {
  let m = ALERT_FP.exec(e.text);
  if (m) return t('timeline.alertFalsePositive', { id: m[1], exception: m[2] });
  m = ALERT_STATUS.exec(e.text);
  if (m) return t('timeline.alertStatus', { id: m[1], status: alertStatusName(m[2]) });
  m = ALERT_OUT.exec(e.text);
  if (m) return t('timeline.alertMovedOut', { id: m[1] });
  if (d.alert && d.rule) {
    const a = (v.alerts || []).find((x) => x.id === d.alert);
    const title = a ? a.rule_title : e.text.replace(/^Alert \d+: /, '');
    return t('timeline.alertAdded', { id: d.alert, rule: title, level: levelName(d.level) });
  }
  return null;
}

function memberEntry(e) {
  let m = COMMANDER.exec(e.text);
  if (m) return m[1] === '(none)' ? t('timeline.commanderNone') : t('timeline.commander', { user: m[1] });
  m = MEMBER.exec(e.text);
  if (m) return t('timeline.member', { user: m[1], role: memberRoleName(m[2]) });
  m = LEFT.exec(e.text);
  if (m) return t('timeline.memberLeft', { user: m[1] });
  return null;
}

// entryText is the translated sentence of an entry, or null to keep the server's.
export function entryText(e, v) {
  const d = parseDetail(e.detail);
  const text = e.text || '';
  let m;
  switch (e.kind) {
    case 'status':
      if (d.from && d.to) {
        if (d.to === 'closed' && d.resolution) {
          return t('timeline.statusClosed', { from: statusName(d.from), resolution: resolutionName(d.resolution) });
        }
        return t('timeline.status', { from: statusName(d.from), to: statusName(d.to) });
      }
      m = MERGED_INTO.exec(text);
      return m ? t('timeline.mergedInto', { id: m[1] }) : null;
    case 'severity':
      m = SEVERITY.exec(text);
      if (!m) return null;
      return m[3] ? t('timeline.severityManual', { from: levelName(m[1]), to: levelName(m[2]) })
        : t('timeline.severity', { from: levelName(m[1]), to: levelName(m[2]) });
    case 'alert':
      return alertEntry(e, d, v);
    case 'member':
      return memberEntry(e);
    case 'task':
      return d.task ? taskEntry(e, d, v) : null;
    case 'sla_breach': {
      const due = SLA_DUE.exec(text);
      const time = due && !Number.isNaN(new Date(due[1]).getTime()) ? formatTime(due[1]) : '';
      if (d.sla === 'acknowledge') return time ? t('timeline.slaAck', { time }) : null;
      if (d.sla === 'contain') return time ? t('timeline.slaContain', { time }) : null;
      return null;
    }
    case 'created':
      if (text === 'Opened by hand') return t('timeline.openedByHand');
      if (text.startsWith('Opened from alert ')) return t('timeline.openedFromAlert', { rule: text.slice('Opened from alert '.length) });
      return null;
    case 'comment':
      return Number.isInteger(d.comment) && text.endsWith(' commented') ? t('timeline.commented', { user: text.slice(0, -' commented'.length) }) : null;
    case 'merge':
      m = MERGED_IN.exec(text);
      return m ? t('timeline.mergedIn', { id: m[1] }) : null;
    case 'split':
      m = SPLIT.exec(text);
      return m ? t('timeline.split', { count: m[1], id: m[2] }) : null;
    default:
      return null;
  }
}

export function timelineCard(v) {
  const list = v.timeline || [];
  return card(t('incident.timeline'), 'incident-timeline',
    list.length ? h('ol', { class: 'timeline' }, list.map((e) => {
      const said = entryText(e, v);
      return h('li', { class: ['timeline-entry', `tl-${e.kind}`], testid: 'timeline-entry', dataset: { kind: e.kind, translated: String(!!said) } },
        h('div', { class: 'timeline-meta' }, h('span', { class: 'nowrap' }, formatTime(e.time)), ' · ',
          h('span', { class: 'timeline-actor' }, e.actor === 'system' ? t('timeline.system') : e.actor)),
        h('div', { class: 'timeline-text', testid: 'timeline-text', title: said ? e.text : null }, said || e.text));
    }))
      : h('p', { class: 'empty' }, t('common.none')));
}
