// One incident (#/incidents/{id}): its summary and response times, the lifecycle
// with the changes allowed from here (closing asks for a resolution and a
// summary), the attack path and the alerts along it. The tasks, the team and the
// comments are in incidentwork.js, the timeline in timeline.js. Every change
// reloads the whole incident, so what is shown is always what the server holds.
import { api, errorText } from './api.js';
import { t, currentLanguage } from './i18n.js';
import { h, mount, card, messageBox, timeAgo, formatNumber, field, formatTime } from './dom.js';
import { can } from './session.js';
import {
  STATUSES, RESOLUTIONS, levelBadge, statusBadge, statusName, resolutionName, alertStatusBadge, entityChips,
  techniqueChips, duration, optionList,
} from './labels.js';
import { slaNode } from './sla.js';
import { loadUsernames } from './people.js';
import { tasksCard, teamCard, commentsCard } from './incidentwork.js';
import { timelineCard } from './timeline.js';

function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(Boolean).map(([k, v, testid]) => [h('dt', null, k), h('dd', { testid }, v)]));
}

function summaryCard(v) {
  const m = v.metrics || {};
  const metric = (label, s, testid) => [label, s === undefined || s === null ? h('span', { class: 'muted' }, '—') : duration(s), testid];
  return card(t('incident.summary'), 'incident-summary', facts([
    [t('incidents.severity'), levelBadge(v.severity, 'incident-severity')],
    [t('incidents.status'), statusBadge(v.status, 'incident-status')],
    v.resolution ? [t('incident.resolution'), resolutionName(v.resolution), 'incident-resolution'] : null,
    v.summary ? [t('incident.summaryText'), h('span', { class: 'pre-wrap' }, v.summary), 'incident-summary-text'] : null,
    [t('incidents.commander'), v.commander || h('span', { class: 'muted' }, '—'), 'incident-commander'],
    [t('incidents.sla'), slaNode(v)],
    [t('common.created'), timeAgo(v.created_at)],
    [t('incident.firstEvent'), timeAgo(v.first_event)],
    [t('incident.lastActivity'), timeAgo(v.last_activity)],
    [t('incidents.entities'), entityChips(v.entities, 'incident-entities')],
    [t('alerts.techniques'), techniqueChips(v.techniques, 'incident-techniques')],
    v.asset_criticality ? [t('incident.criticality'), v.asset_criticality] : null,
    metric(t('metrics.timeToDetect'), m.time_to_detect, 'metric-ttd'),
    metric(t('metrics.timeToAcknowledge'), m.time_to_acknowledge, 'metric-tta'),
    metric(t('metrics.timeToContain'), m.time_to_contain, 'metric-ttc'),
    metric(t('metrics.timeToResolve'), m.time_to_resolve, 'metric-ttr'),
  ]));
}

function lifecycle(status) {
  const at = STATUSES.indexOf(status);
  return h('ol', { class: 'lifecycle', testid: 'incident-lifecycle' }, STATUSES.map((s, i) => h('li', {
    class: [i < at ? 'done' : '', i === at ? 'current' : ''], dataset: { status: s },
  }, statusName(s))));
}

function closeForm(onSubmit, onCancel) {
  const resolution = h('select', { class: 'input', testid: 'close-resolution' }, optionList(RESOLUTIONS, resolutionName));
  const summary = h('textarea', { class: 'input', rows: '4', testid: 'close-summary', placeholder: t('incident.closeSummaryHint') });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'close-submit' }, t('incident.closeSubmit'));
  return h('form', { class: 'form', testid: 'close-form', on: { submit: (ev) => { ev.preventDefault(); onSubmit(resolution.value, summary.value, submit); } } },
    h('p', { class: 'muted' }, t('incident.closeIntro')),
    field(t('incident.resolution'), resolution),
    field(t('incident.summaryText'), summary),
    h('div', { class: 'actions actions-start' }, submit,
      h('button', { type: 'button', class: 'btn', testid: 'close-cancel', on: { click: onCancel } }, t('common.cancel'))));
}

function statusCard(v, reload) {
  const msg = messageBox('incident-status-error');
  const formBox = h('div', { testid: 'incident-close-box' });
  const move = async (status, extra, btn) => {
    msg.clear();
    if (btn) btn.disabled = true;
    try {
      await api.post(`/api/v1/incidents/${v.id}/status`, { status, ...extra });
      await reload();
    } catch (e) {
      msg.error(errorText(e));
    } finally {
      if (btn) btn.disabled = false;
    }
  };
  const buttons = can('incidents:write') ? (v.transitions || []).map((s) => h('button', {
    type: 'button', class: ['btn', s === 'closed' ? 'btn-danger' : 'btn-primary'], testid: `status-to-${s}`, dataset: { status: s },
    on: {
      click: (ev) => {
        if (s !== 'closed') {
          move(s, {}, ev.currentTarget);
          return;
        }
        msg.clear();
        mount(formBox, closeForm((resolution, summary, btn) => move('closed', { resolution, summary }, btn), () => { msg.clear(); mount(formBox); }));
      },
    },
  }, s === 'closed' ? t('incident.close') : v.status === 'closed' && s === 'triage' ? t('incident.reopen') : t('incident.moveTo', { status: statusName(s) }))) : [];
  return card(t('incident.lifecycle'), 'incident-status-card',
    lifecycle(v.status),
    buttons.length ? h('div', { class: 'actions actions-start', testid: 'incident-transitions' }, buttons) : null,
    msg.el,
    formBox);
}

function pathName(step) {
  const zh = currentLanguage() === 'zh-CN';
  return (zh ? step.name_zh : step.name) || step.name || step.tactic;
}

function attackPathCard(v) {
  const path = v.attack_path || [];
  return card(t('incident.attackPath'), 'attack-path-card',
    path.length
      ? h('ol', { class: 'attack-path', testid: 'attack-path' }, path.map((s, i) => h('li', { class: 'path-step', testid: 'path-step', dataset: { tactic: s.tactic } },
        h('div', { class: 'path-step-head' },
          h('span', { class: 'path-index' }, String(i + 1)),
          h('span', { class: 'path-name', testid: 'path-tactic-name' }, pathName(s)),
          h('span', { class: 'mono muted small' }, s.tactic)),
        techniqueChips(s.techniques, 'path-techniques'),
        h('div', { class: 'muted small' }, formatTime(s.first)),
        h('div', { class: 'muted small' }, t('incident.pathAlerts', { count: (s.alerts || []).length })))))
      : h('p', { class: 'muted', testid: 'attack-path-empty' }, t('incident.pathEmpty')));
}

function alertsCard(v) {
  const list = v.alerts || [];
  return card(t('incident.alerts'), 'incident-alerts',
    h('p', { class: 'muted' }, t('incident.alertsIntro')),
    list.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: 'incident-alerts-table' },
      h('thead', null, h('tr', null, [t('alert.firstEvent'), t('alerts.level'), t('alerts.rule'), t('alerts.techniques'),
        t('alerts.host'), t('alerts.count'), t('alerts.status')].map((x) => h('th', null, x)))),
      h('tbody', null, list.map((a) => h('tr', { testid: 'incident-alert-row', dataset: { id: String(a.id), rule: a.rule_id } },
        h('td', { class: 'nowrap' }, timeAgo(a.first_event)),
        h('td', null, levelBadge(a.level)),
        h('td', null, h('a', { href: `#/alerts/${a.id}`, testid: 'incident-alert-link' }, a.rule_title || a.rule_id)),
        h('td', null, techniqueChips(a.techniques)),
        h('td', { class: 'mono' }, a.host || '—'),
        h('td', { class: 'num' }, formatNumber(a.count || 1)),
        h('td', null, alertStatusBadge(a.status)))))))
      : h('p', { class: 'empty' }, t('incident.noAlerts')));
}

export async function renderIncident(el, sub) {
  const id = Number(sub);
  const top = messageBox('incident-error');
  const body = h('div', { testid: 'incident-page' }, h('p', { class: 'muted' }, t('common.loading')));
  mount(el, h('p', { class: 'back' }, h('a', { href: '#/incidents', testid: 'incident-back' }, `← ${t('incidents.title')}`)), top.el, body);
  let names = null;

  async function reload() {
    let v;
    try {
      v = await api.get(`/api/v1/incidents/${id}`);
    } catch (e) {
      top.error(errorText(e));
      if (!body.dataset.loaded) mount(body);
      return;
    }
    if (!el.isConnected) return;
    top.clear();
    body.dataset.loaded = '1';
    body.dataset.status = v.status;
    const ctx = { incident: v, names, reload, report: (e) => top.error(errorText(e)) };
    mount(body,
      card(null, 'incident-head',
        h('div', { class: 'host-head' },
          h('span', { class: 'mono muted' }, `#${v.id}`),
          h('h2', { class: 'host-name', testid: 'incident-title' }, v.title),
          levelBadge(v.severity), statusBadge(v.status, 'incident-head-status'),
          v.merged_into ? h('a', { href: `#/incidents/${v.merged_into}` }, t('incident.mergedInto', { id: v.merged_into })) : null)),
      h('div', { class: 'grid grid-2' }, summaryCard(v), h('div', null, statusCard(v, reload), teamCard(ctx))),
      attackPathCard(v),
      alertsCard(v),
      tasksCard(ctx),
      h('div', { class: 'grid grid-2' }, commentsCard(ctx), timelineCard(v)));
  }

  names = await loadUsernames();
  return reload();
}
