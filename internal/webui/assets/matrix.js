// The attack matrix: tactics as columns in attack order, techniques as cells
// colored by how many rules cover them or, for callers who may read alerts, by
// the alerts raised in a period (#/matrix?color=activity&period=24h|7d|30d, or
// period=custom&from=&to=), and a technique's page below the grid
// (technique.js). Both views download as ATT&CK Navigator layers.
import { api, errorText, withQuery } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, messageBox, field, formatTime, formatNumber } from './dom.js';
import { can } from './session.js';
import { renderTechnique, pick, activityTitle } from './technique.js';

const HOUR = 3600_000;
const PERIODS = { '24h': 24 * HOUR, '7d': 7 * 24 * HOUR, '30d': 30 * 24 * HOUR };
const DEFAULT_PERIOD = '7d';

// The catalog and the built-in rules' coverage do not change while the server
// runs, so the report is fetched once per page load.
let reportCache = null;

async function loadReport() {
  if (!reportCache) reportCache = await api.get('/api/v1/matrix');
  return reportCache;
}

function coverageClass(n) {
  if (n >= 2) return 'cov-2';
  if (n === 1) return 'cov-1';
  return 'cov-0';
}

// activityClass buckets a technique's alert count: none, 1, 2–5, 6–20, more.
function activityClass(n) {
  if (!n) return 'act-0';
  if (n === 1) return 'act-1';
  if (n <= 5) return 'act-2';
  if (n <= 20) return 'act-3';
  return 'act-4';
}

// localInput turns a time into the value of a datetime-local input (local time).
function localInput(d) {
  if (!d || Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// readView reads the color and the period from the page's query. A preset period
// ends now; a custom one has its own from and to.
function readView(query) {
  const color = query.get('color') === 'activity' && can('alerts:read') ? 'activity' : 'coverage';
  let period = query.get('period') || DEFAULT_PERIOD;
  let from = null;
  let to = null;
  let bad = false;
  if (period === 'custom') {
    from = new Date(query.get('from') || '');
    to = new Date(query.get('to') || '');
    bad = Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to;
    if (bad) period = DEFAULT_PERIOD;
  } else if (!PERIODS[period]) {
    period = DEFAULT_PERIOD;
  }
  if (period !== 'custom') {
    to = new Date();
    from = new Date(to.getTime() - PERIODS[period]);
  }
  return { color, period, from, to, bad };
}

function viewHash(sub, view) {
  const q = new URLSearchParams();
  if (view.color === 'activity') q.set('color', 'activity');
  if (view.period !== DEFAULT_PERIOD) q.set('period', view.period);
  if (view.period === 'custom') {
    q.set('from', view.from.toISOString());
    q.set('to', view.to.toISOString());
  }
  const s = q.toString();
  return `#/matrix${sub ? `/${sub}` : ''}${s ? `?${s}` : ''}`;
}

function periodText(period) {
  switch (period) {
    case '24h': return t('matrix.period24h');
    case '7d': return t('matrix.period7d');
    case '30d': return t('matrix.period30d');
    default: return t('matrix.periodCustom');
  }
}

// controls: the color switch, the period (a preset or from/to) and the legend
// and downloads of the view shown. go(view) navigates to another view.
function controls(view, go, msg) {
  const parts = [];
  if (can('alerts:read')) {
    const colorBtn = (value, label) => h('button', {
      type: 'button', class: ['seg', view.color === value ? 'active' : ''], testid: `matrix-color-${value}`,
      'aria-pressed': String(view.color === value),
      on: { click: () => { if (view.color !== value) go({ ...view, color: value }); } },
    }, label);
    parts.push(h('div', { class: 'matrix-control' },
      h('span', { class: 'field-label' }, t('matrix.colorBy')),
      h('div', { class: 'segmented', role: 'group', 'aria-label': t('matrix.colorBy'), testid: 'matrix-color' },
        colorBtn('coverage', t('matrix.colorCoverage')), colorBtn('activity', t('matrix.colorActivity')))));

    const select = h('select', { class: 'input input-small', testid: 'matrix-period' },
      ['24h', '7d', '30d', 'custom'].map((p) => h('option', { value: p }, periodText(p))));
    select.value = view.period;
    const from = h('input', { class: 'input input-small', type: 'datetime-local', testid: 'matrix-period-from', value: localInput(view.from) });
    const to = h('input', { class: 'input input-small', type: 'datetime-local', testid: 'matrix-period-to', value: localInput(view.to) });
    const custom = h('form', {
      class: 'inline-form period-custom', testid: 'matrix-period-custom', hidden: view.period !== 'custom',
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const f = new Date(from.value);
          const tt = new Date(to.value);
          if (Number.isNaN(f.getTime()) || Number.isNaN(tt.getTime()) || f >= tt) {
            msg.error(t('matrix.periodInvalid'));
            return;
          }
          go({ ...view, period: 'custom', from: f, to: tt });
        },
      },
    },
    field(t('matrix.periodFrom'), from), field(t('matrix.periodTo'), to),
    h('button', { type: 'submit', class: 'btn btn-small', testid: 'matrix-period-apply' }, t('matrix.periodApply')));
    select.addEventListener('change', () => {
      if (select.value === 'custom') {
        custom.hidden = false;
        from.focus();
        return;
      }
      go({ ...view, period: select.value });
    });
    parts.push(h('div', { class: 'matrix-control' },
      field(t('matrix.period'), select), custom));
  }
  return h('div', { class: 'matrix-controls', testid: 'matrix-controls' }, parts);
}

function legend(view) {
  const period = { from: view.from.toISOString(), to: view.to.toISOString() };
  const downloads = h('span', { class: 'matrix-downloads' },
    h('a', { href: '/api/v1/matrix/navigator', download: 'vigil-coverage-layer.json', testid: 'matrix-navigator' }, t('matrix.navigator')),
    can('alerts:read') ? h('a', {
      href: withQuery('/api/v1/matrix/navigator/activity', period), download: 'vigil-activity-layer.json', testid: 'matrix-navigator-activity',
    }, t('matrix.navigatorActivity')) : null);
  if (view.color === 'activity') {
    return h('div', { class: 'matrix-legend', testid: 'matrix-legend' },
      t('matrix.legendActivity'), ' ',
      h('span', { class: 'legend-item act-0' }, t('matrix.legendAct0')),
      h('span', { class: 'legend-item act-1' }, t('matrix.legendAct1')),
      h('span', { class: 'legend-item act-2' }, t('matrix.legendAct2')),
      h('span', { class: 'legend-item act-3' }, t('matrix.legendAct3')),
      h('span', { class: 'legend-item act-4' }, t('matrix.legendAct4')),
      ' ', downloads);
  }
  return h('div', { class: 'matrix-legend', testid: 'matrix-legend' },
    t('matrix.legend'), ' ',
    h('span', { class: 'legend-item cov-0' }, t('matrix.legend0')),
    h('span', { class: 'legend-item cov-1' }, t('matrix.legend1')),
    h('span', { class: 'legend-item cov-2' }, t('matrix.legend2')),
    ' ', downloads);
}

function findTechnique(report, id) {
  for (const ta of report.tactics) {
    const te = ta.techniques.find((x) => x.id === id);
    if (te) return te;
  }
  return null;
}

// cell shows a technique with its rule count, or its alert count in the
// activity view (activity is null in the coverage view).
function cell(te, activity, onSelect) {
  const attrs = {
    type: 'button',
    testid: 'matrix-cell',
    dataset: { technique: te.id, rules: String(te.rule_count) },
    on: { click: () => onSelect(te.id) },
  };
  let count;
  if (activity) {
    const act = activity.get(te.id);
    const n = act ? act.alerts : 0;
    attrs.class = ['matrix-cell', activityClass(n), te.detectable ? '' : 'undetectable'];
    attrs.dataset.alerts = String(n);
    attrs.title = activityTitle(act);
    count = n === 1 ? t('matrix.cellAlert') : t('matrix.cellAlerts', { n: formatNumber(n) });
  } else {
    attrs.class = ['matrix-cell', coverageClass(te.rule_count), te.detectable ? '' : 'undetectable'];
    count = t('matrix.cellRules', { n: te.rule_count });
  }
  return h('button', attrs,
    h('span', { class: 'cell-id mono' }, te.id),
    h('span', { class: 'cell-name' }, pick(te.name)),
    h('span', { class: 'cell-count', testid: 'matrix-cell-count' }, count));
}

function renderGrid(report, activity, period, onSelect) {
  const dataset = activity ? { color: 'activity', period } : { color: 'coverage' };
  return h('div', { class: ['matrix-grid', activity ? 'matrix-activity' : ''], testid: 'matrix-grid', dataset },
    report.tactics.map((ta) => h('div', { class: 'matrix-col', testid: 'matrix-tactic', dataset: { tactic: ta.id } },
      h('div', { class: 'matrix-head' },
        h('div', { class: 'matrix-tactic-name' }, pick(ta.name)),
        h('div', { class: 'mono muted small' }, `${ta.id} · ${ta.attack}`)),
      ta.techniques.map((te) => cell(te, activity, onSelect)))));
}

export async function renderMatrix(el, sub, query) {
  if (!can('matrix:read')) {
    mount(el, card(null, 'matrix-no-permission', h('p', { class: 'empty' }, t('matrix.noPermission'))));
    return;
  }
  const msg = messageBox('matrix-error');
  const view = readView(query || new URLSearchParams());
  mount(el, msg.el, h('p', { class: 'muted' }, t('common.loading')));
  let report;
  let activity = null;
  let activityError = null;
  try {
    const [rep, act] = await Promise.all([
      loadReport(),
      view.color === 'activity'
        ? api.get(withQuery('/api/v1/matrix/activity', { from: view.from.toISOString(), to: view.to.toISOString() })).catch((e) => { activityError = e; return null; })
        : null,
    ]);
    report = rep;
    if (act) activity = new Map((act.techniques || []).map((x) => [x.technique, x]));
  } catch (e) {
    mount(el, msg.el);
    msg.error(errorText(e));
    return;
  }
  if (!el.isConnected) return;

  let current = sub || '';
  const go = (next) => { location.hash = viewHash(current, next); };
  const s = report.summary || {};
  const detail = h('div', { testid: 'matrix-detail' });
  let selected = null;
  const select = (id) => {
    const te = findTechnique(report, id);
    if (selected) selected.classList.remove('selected');
    selected = te ? el.querySelector(`.matrix-cell[data-technique="${te.id}"]`) : null;
    if (selected) selected.classList.add('selected');
    if (te) {
      current = te.id;
      history.replaceState(null, '', viewHash(te.id, view));
    }
    renderTechnique(detail, te, {
      report, period: view, withActivity: !!activity, activity: te && activity ? activity.get(te.id) || null : null,
    });
    if (te) detail.scrollIntoView({ block: 'nearest' });
  };

  const range = t('matrix.periodRange', { from: formatTime(view.from), to: formatTime(view.to) });
  const summary = [h('p', { testid: 'matrix-summary-text' }, t('matrix.summary', { covered: s.covered, detectable: s.detectable, techniques: s.techniques, rules: s.rules }))];
  if (activity) {
    const lit = [...activity.values()].filter((x) => findTechnique(report, x.technique));
    summary.push(h('p', { testid: 'matrix-activity-summary' }, t('matrix.activitySummary', { techniques: lit.length, range })));
  }
  const header = card(null, 'matrix-summary', ...summary, controls(view, go, msg), legend(view));
  mount(el, msg.el, header, renderGrid(report, activity, view.period, select), detail);
  if (view.bad) msg.error(t('matrix.periodInvalid'));
  if (activityError) msg.error(errorText(activityError));
  if (sub && !findTechnique(report, sub)) msg.error(t('matrix.notFound', { id: sub }));
  select(sub);
}
