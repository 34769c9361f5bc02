// The attack matrix: tactics as columns in attack order, techniques as cells
// colored by how many rules cover them, and a technique's page below the grid
// (description, ATT&CK ids, data sources, mitigations, response checklist and
// rules). Names and descriptions come from the catalog in both languages.
import { api, errorText } from './api.js';
import { t, currentLanguage } from './i18n.js';
import { h, mount, card, badge, messageBox } from './dom.js';
import { can } from './session.js';

// pick returns a catalog text ({zh, en}) in the console's language.
function pick(text) {
  if (!text) return '';
  const zh = currentLanguage() === 'zh-CN';
  return (zh ? text.zh : text.en) || text.en || text.zh || '';
}

function coverageClass(n) {
  if (n >= 2) return 'cov-2';
  if (n === 1) return 'cov-1';
  return 'cov-0';
}

function phaseLabel(phase) {
  switch (phase) {
    case 'confirm': return t('matrix.phase.confirm');
    case 'contain': return t('matrix.phase.contain');
    case 'investigate': return t('matrix.phase.investigate');
    case 'eradicate': return t('matrix.phase.eradicate');
    case 'recover': return t('matrix.phase.recover');
    default: return phase;
  }
}

const PHASES = ['confirm', 'contain', 'investigate', 'eradicate', 'recover'];

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

function renderDetail(el, report, te) {
  if (!te) {
    mount(el, card(null, 'technique-detail', h('p', { class: 'muted' }, t('matrix.selectHint'))));
    return;
  }
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
    badge(t('matrix.cellRules', { n: te.rule_count }), te.rule_count > 0 ? 'ok' : 'bad')));
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
      h('h4', null, phaseLabel(ph)),
      h('ol', null, steps.filter((s) => s.phase === ph).map((s) => h('li', null,
        pick(s), s.action ? [' ', h('span', { class: 'badge mono' }, s.action)] : null)))))));

  parts.push(section(t('matrix.rules'), 'technique-rules',
    (te.rules || []).length
      ? h('ul', null, te.rules.map((r) => h('li', { testid: 'technique-rule' }, r.title, ' ', testBadge(r.tests))))
      : h('p', { class: 'muted' }, te.detectable ? t('matrix.noRules') : t('matrix.noRulesUndetectable'))));

  parts.push(section(t('matrix.alerts'), 'technique-alerts', h('p', { class: 'muted' }, t('matrix.activityNotice'))));

  mount(el, card(`${te.id} · ${pick(te.name)}`, 'technique-detail', ...parts));
}

function findTechnique(report, id) {
  for (const ta of report.tactics) {
    const te = ta.techniques.find((x) => x.id === id);
    if (te) return te;
  }
  return null;
}

function renderGrid(report, onSelect) {
  return h('div', { class: 'matrix-grid', testid: 'matrix-grid' }, report.tactics.map((ta) => h('div', { class: 'matrix-col', testid: 'matrix-tactic', dataset: { tactic: ta.id } },
    h('div', { class: 'matrix-head' },
      h('div', { class: 'matrix-tactic-name' }, pick(ta.name)),
      h('div', { class: 'mono muted small' }, `${ta.id} · ${ta.attack}`)),
    ta.techniques.map((te) => h('button', {
      type: 'button',
      class: ['matrix-cell', coverageClass(te.rule_count), te.detectable ? '' : 'undetectable'],
      testid: 'matrix-cell',
      dataset: { technique: te.id, rules: String(te.rule_count) },
      on: { click: () => onSelect(te.id) },
    },
    h('span', { class: 'cell-id mono' }, te.id),
    h('span', { class: 'cell-name' }, pick(te.name)),
    h('span', { class: 'cell-count', testid: 'matrix-cell-count' }, t('matrix.cellRules', { n: te.rule_count })))))));
}

export async function renderMatrix(el, sub) {
  if (!can('matrix:read')) {
    mount(el, card(null, 'matrix-no-permission', h('p', { class: 'empty' }, t('matrix.noPermission'))));
    return;
  }
  const msg = messageBox('matrix-error');
  mount(el, msg.el, h('p', { class: 'muted' }, t('common.loading')));
  let report;
  try {
    report = await api.get('/api/v1/matrix');
  } catch (e) {
    mount(el, msg.el);
    msg.error(errorText(e));
    return;
  }
  if (!el.isConnected) return;
  const s = report.summary || {};
  const detail = h('div', { testid: 'matrix-detail' });
  let selected = null;
  const select = (id) => {
    const te = findTechnique(report, id);
    if (selected) selected.classList.remove('selected');
    selected = te ? el.querySelector(`.matrix-cell[data-technique="${te.id}"]`) : null;
    if (selected) selected.classList.add('selected');
    if (te) history.replaceState(null, '', `#/matrix/${te.id}`);
    renderDetail(detail, report, te);
    if (te) detail.scrollIntoView({ block: 'nearest' });
  };
  const header = card(null, 'matrix-summary',
    h('div', { class: 'msg msg-info', testid: 'matrix-activity-notice' }, t('matrix.activityNotice')),
    h('p', { testid: 'matrix-summary-text' }, t('matrix.summary', { covered: s.covered, detectable: s.detectable, techniques: s.techniques, rules: s.rules })),
    h('div', { class: 'matrix-legend' },
      t('matrix.legend'), ' ',
      h('span', { class: 'legend-item cov-0' }, t('matrix.legend0')),
      h('span', { class: 'legend-item cov-1' }, t('matrix.legend1')),
      h('span', { class: 'legend-item cov-2' }, t('matrix.legend2')),
      ' ',
      h('a', { href: '/api/v1/matrix/navigator', download: 'vigil-coverage-layer.json', testid: 'matrix-navigator' }, t('matrix.navigator'))));
  mount(el, msg.el, header, renderGrid(report, select), detail);
  if (sub && !findTechnique(report, sub)) msg.error(t('matrix.notFound', { id: sub }));
  select(sub);
}
