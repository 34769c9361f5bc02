// A technique's page, below the matrix (#/matrix/{technique}): description,
// ATT&CK ids, data sources, mitigations, the response checklist by phase, the
// rules that cover it, its activity in the matrix's period and its most recent
// alerts in that period. Names and descriptions come from the catalog in both
// languages.
import { api, errorText, withQuery } from './api.js';
import { t, currentLanguage } from './i18n.js';
import { h, mount, card, badge, messageBox, timeAgo, formatNumber, formatTime } from './dom.js';
import { can } from './session.js';
import { levelBadge, levelName, alertStatusBadge, phaseName, PHASES } from './labels.js';

const RECENT_ALERTS = 20;

// pick returns a catalog text ({zh, en}) in the console's language.
export function pick(text) {
  if (!text) return '';
  const zh = currentLanguage() === 'zh-CN';
  return (zh ? text.zh : text.en) || text.en || text.zh || '';
}

// techniqueTag is the rule tag that names a matrix technique: CS-IA-03 ↔ cs.ia-03.
export function techniqueTag(id) {
  return String(id).toLowerCase().replace(/^cs-/, 'cs.');
}

function providerLabel(p) {
  switch (p) {
    case 'aws': return t('matrix.provider.aws');
    case 'tencent_cloud': return t('matrix.provider.tencent');
    case 'alibaba_cloud': return t('matrix.provider.alibaba');
    default: return p;
  }
}

function testBadge(status) {
  switch (status) {
    case 'pass': return badge(t('matrix.test.pass'), 'ok');
    case 'fail': return badge(t('matrix.test.fail'), 'bad');
    default: return badge(t('matrix.test.unknown'));
  }
}

// attackURL links an ATT&CK technique id (T1098.001) to its page.
function attackURL(id) {
  return `https://attack.mitre.org/techniques/${String(id).replace('.', '/')}/`;
}

function section(title, testid, ...body) {
  return h('div', { class: 'tech-section', testid }, h('h3', null, title), ...body);
}

// ruleLink opens the Rules page searched for the rule, for callers who may read it.
function ruleLink(id, title) {
  if (!can('alerts:read') || !id) return h('span', null, title);
  return h('a', { href: `#/rules?q=${encodeURIComponent(id)}`, testid: 'technique-rule-link' }, title);
}

function rulesSection(te, uploadedBox) {
  // Uploaded rules are listed below with their enabled state (loadUploaded).
  const list = (te.rules || []).filter((r) => r.origin !== 'custom');
  return section(t('matrix.rules'), 'technique-rules',
    list.length
      ? h('ul', null, list.map((r) => h('li', { testid: 'technique-rule', dataset: { rule: r.id || '' } },
        ruleLink(r.id, r.title), ' ', r.level ? levelBadge(r.level) : null, ' ', testBadge(r.tests))))
      : h('p', { class: 'muted' }, te.detectable ? t('matrix.noRules') : t('matrix.noRulesUndetectable')),
    uploadedBox);
}

// loadUploaded lists the uploaded rules tagged with the technique, with whether they
// are enabled (the matrix's coverage counts them but does not say).
async function loadUploaded(box, te) {
  try {
    const data = await api.get('/api/v1/rules', { quiet: true });
    const tag = techniqueTag(te.id);
    const rules = ((data && data.items) || []).filter((r) => r.origin === 'custom' && (r.tags || []).some((x) => String(x).toLowerCase() === tag));
    if (!rules.length) return;
    mount(box, h('h4', null, t('matrix.uploadedRules')),
      h('ul', null, rules.map((r) => h('li', { testid: 'technique-uploaded-rule', dataset: { rule: r.id } },
        ruleLink(r.id, r.title), ' ', r.level ? levelBadge(r.level) : null, ' ',
        r.enabled ? null : badge(t('rules.off'), 'warn')))));
  } catch (_) {
    // Live detection may not run here (503); the built-in coverage stands alone.
  }
}

function activitySection(act, period) {
  const range = t('matrix.periodRange', { from: formatTime(period.from), to: formatTime(period.to) });
  if (!act) {
    return section(t('matrix.activityTitle'), 'technique-activity',
      h('p', { class: 'muted', testid: 'technique-activity-none' }, t('matrix.activityNone', { range })));
  }
  return section(t('matrix.activityTitle'), 'technique-activity',
    h('p', { class: 'muted' }, range),
    h('dl', { class: 'facts' },
      h('dt', null, t('matrix.activityAlerts')), h('dd', { testid: 'technique-activity-alerts' }, formatNumber(act.alerts)),
      h('dt', null, t('matrix.activityRaised')), h('dd', null, formatNumber(act.raised)),
      h('dt', null, t('matrix.activityIncidents')), h('dd', null, formatNumber(act.incidents)),
      h('dt', null, t('matrix.activityMaxLevel')), h('dd', null, act.max_level ? levelBadge(act.max_level) : '—'),
      h('dt', null, t('matrix.activityLastSeen')), h('dd', null, timeAgo(act.last_seen)),
      h('dt', null, t('matrix.activityHosts')), h('dd', null, (act.hosts || []).length
        ? h('span', { class: 'chips' }, act.hosts.map((x) => h('code', null, x))) : '—')));
}

function alertRow(a) {
  return h('tr', { testid: 'technique-alert', dataset: { id: String(a.id), rule: a.rule_id } },
    h('td', { class: 'nowrap' }, timeAgo(a.last_seen)),
    h('td', null, levelBadge(a.level)),
    h('td', null, h('a', { href: `#/alerts/${a.id}`, testid: 'technique-alert-link' }, a.rule_title || a.rule_id)),
    h('td', { class: 'mono' }, a.host || '—'),
    h('td', { class: 'num' }, formatNumber(a.count || 1)),
    h('td', null, alertStatusBadge(a.status)),
    h('td', null, a.incident_id ? h('a', { href: `#/incidents/${a.incident_id}`, class: 'mono' }, `#${a.incident_id}`) : h('span', { class: 'muted' }, '—')));
}

// loadAlerts lists the technique's most recent alerts last seen in the matrix's
// period ([from, to), as GET /api/v1/alerts bounds it). The box keeps the bounds
// it asked for in its data-from and data-to.
async function loadAlerts(box, te, period) {
  const msg = messageBox('technique-alerts-error');
  const from = period.from.toISOString();
  const to = period.to.toISOString();
  Object.assign(box.dataset, { from, to });
  const all = h('p', { class: 'small' }, h('a', { href: `#/alerts?technique=${encodeURIComponent(te.id)}`, testid: 'technique-alerts-all' }, t('matrix.alertsAll')));
  try {
    const data = await api.get(withQuery('/api/v1/alerts', { technique: te.id, from, to, limit: RECENT_ALERTS }));
    const items = (data && data.items) || [];
    if (!items.length) {
      mount(box, h('p', { class: 'empty', testid: 'technique-alerts-empty' }, t('matrix.alertsNone')), all);
      return;
    }
    const range = t('matrix.periodRange', { from: formatTime(period.from), to: formatTime(period.to) });
    mount(box,
      h('p', { class: 'muted' }, t('matrix.alertsIntro', { n: RECENT_ALERTS, range })),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: 'technique-alerts-table' },
        h('thead', null, h('tr', null, [t('alert.lastSeen'), t('alerts.level'), t('alerts.rule'), t('alerts.host'),
          t('alerts.count'), t('alerts.status'), t('alerts.incident')].map((x) => h('th', null, x)))),
        h('tbody', null, items.map(alertRow)))),
      all);
  } catch (e) {
    msg.error(errorText(e));
    mount(box, msg.el);
  }
}

// renderTechnique fills el with te's page. ctx: report (the matrix), activity
// (the technique's activity in the period, or null), period ({from, to}) and
// withActivity (whether the activity was loaded at all).
export function renderTechnique(el, te, ctx) {
  if (!te) {
    mount(el, card(null, 'technique-detail', h('p', { class: 'muted' }, t('matrix.selectHint'))));
    return;
  }
  const { report } = ctx;
  const tactic = report.tactics.find((x) => x.id === te.tactic);
  const practices = new Map((report.best_practices || []).map((p) => [p.id, p]));
  const techName = (id) => {
    for (const ta of report.tactics) {
      const found = ta.techniques.find((x) => x.id === id);
      if (found) return `${id} ${pick(found.name)}`;
    }
    return id;
  };

  const parts = [];
  parts.push(h('div', { class: 'tech-badges' },
    tactic ? badge(pick(tactic.name)) : null,
    te.detectable ? null : badge(t('matrix.notDetectable'), 'warn'),
    badge(t('matrix.cellRules', { n: te.rule_count }), te.rule_count > 0 ? 'ok' : 'bad'),
    ctx.activity ? badge(ctx.activity.alerts === 1 ? t('matrix.cellAlert') : t('matrix.cellAlerts', { n: ctx.activity.alerts }), 'bad') : null));
  parts.push(h('p', { testid: 'technique-description' }, pick(te.description)));
  if (!te.detectable && te.undetectable) {
    parts.push(section(t('matrix.undetectable'), 'technique-undetectable',
      h('p', null, pick(te.undetectable.reason)),
      (te.undetectable.later_evidence || []).length
        ? h('p', null, t('matrix.laterEvidence'), ' ', (te.undetectable.later_evidence || []).map(techName).join(', '))
        : null));
  }
  if (te.detection && (te.detection.en || te.detection.zh)) {
    parts.push(section(t('matrix.detection'), 'technique-detection', h('p', null, pick(te.detection))));
  }
  parts.push(section(t('matrix.attack'), 'technique-attack',
    h('ul', { class: 'inline-list' }, (te.attack || []).map((id) => h('li', null,
      h('a', { href: attackURL(id), target: '_blank', rel: 'noopener noreferrer', class: 'mono' }, id))))));

  const ds = te.data_sources || {};
  const cloud = ds.cloud || {};
  const sources = [];
  if ((ds.host || []).length) {
    sources.push(h('div', null, h('strong', null, t('matrix.hostLogs')), ' ',
      ds.host.map((x) => h('span', { class: 'mono chip' }, x))));
  }
  for (const p of ['aws', 'tencent_cloud', 'alibaba_cloud']) {
    if ((cloud[p] || []).length) {
      sources.push(h('div', null, h('strong', null, providerLabel(p)), ' ',
        cloud[p].map((x) => h('span', { class: 'mono chip' }, x))));
    }
  }
  if (sources.length) parts.push(section(t('matrix.dataSources'), 'technique-data-sources', ...sources));

  const uploadedBox = h('div', { testid: 'technique-uploaded' });
  parts.push(rulesSection(te, uploadedBox));

  if ((te.mitigations || []).length) {
    parts.push(section(t('matrix.mitigations'), 'technique-mitigations',
      h('ul', null, te.mitigations.map((id) => {
        const p = practices.get(id);
        return h('li', null, p ? [h('strong', null, pick(p.name)), ' — ', pick(p.description)] : id);
      }))));
  }

  const steps = te.response || [];
  parts.push(section(t('matrix.checklist'), 'technique-checklist',
    PHASES.filter((ph) => steps.some((s) => s.phase === ph)).map((ph) => h('div', { class: 'phase', testid: 'checklist-phase' },
      h('h4', null, phaseName(ph)),
      h('ol', null, steps.filter((s) => s.phase === ph).map((s) => h('li', null,
        pick(s), s.action ? [' ', h('span', { class: 'badge mono' }, s.action)] : null)))))));

  let alertsBox = null;
  if (can('alerts:read')) {
    if (ctx.withActivity) parts.push(activitySection(ctx.activity, ctx.period));
    alertsBox = h('div', { testid: 'technique-alerts-box' }, h('p', { class: 'muted' }, t('common.loading')));
    parts.push(section(t('matrix.alerts'), 'technique-alerts', alertsBox));
  }

  mount(el, card(`${te.id} · ${pick(te.name)}`, 'technique-detail', ...parts));
  el.dataset.technique = te.id;
  if (alertsBox) {
    loadAlerts(alertsBox, te, ctx.period);
    loadUploaded(uploadedBox, te);
  }
}

// activityTitle is a cell's tooltip in the activity view.
export function activityTitle(act) {
  if (!act) return t('matrix.activityNoAlerts');
  return t('matrix.cellActivityTitle', {
    alerts: formatNumber(act.alerts), raised: formatNumber(act.raised), incidents: formatNumber(act.incidents),
    level: act.max_level ? levelName(act.max_level) : '—', time: formatTime(act.last_seen),
  });
}
