// The live rules of the Rules page (GET /api/v1/rules): the engines' totals, and
// a table of every built-in and uploaded rule with its counters since the server
// started, searched and filtered in the page (the filters are the page's query:
// #/rules?q=&level=&origin=&kind=&state=&sort=), with an on/off switch per rule
// for callers who may change rules.
import { api, errorText } from './api.js';
import { t, currentLanguage } from './i18n.js';
import { h, mount, card, badge, messageBox, field, formatNumber } from './dom.js';
import { can } from './session.js';
import { LEVELS, levelBadge, levelName, optionList } from './labels.js';

export const RULE_FILTERS = ['q', 'level', 'origin', 'kind', 'state', 'sort'];

// Sortable columns: the counters, highest first.
const SORTS = ['evaluations', 'hits', 'alerts', 'suppressed', 'muted', 'cost_ms'];

// techniqueOf turns a rule tag naming a matrix technique (cs.ia-03) into its id.
function techniqueOf(tag) {
  const m = /^cs\.([a-z]{2})-(\d{2})$/i.exec(tag);
  return m ? `CS-${m[1].toUpperCase()}-${m[2]}` : '';
}

// tagCell shows the matrix techniques a rule's tags name as links and the ATT&CK
// technique ids after them; every tag is in the cell's tooltip.
function tagCell(tags) {
  if (!tags || !tags.length) return h('td', { testid: 'rule-tags' }, h('span', { class: 'muted' }, '—'));
  const techniques = [];
  const attack = [];
  for (const tag of tags) {
    const id = techniqueOf(tag);
    if (id) techniques.push(id);
    const m = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(tag);
    if (m) attack.push(m[1].toUpperCase());
  }
  return h('td', { class: 'rule-tags-cell', testid: 'rule-tags', title: tags.join('\n') },
    techniques.length ? h('div', { class: 'chips' },
      techniques.map((id) => h('a', { href: `#/matrix/${id}`, class: 'mono chip-link', testid: 'rule-technique' }, id))) : null,
    attack.length ? h('div', { class: 'mono muted small' }, attack.join(' ')) : null,
    !techniques.length && !attack.length ? h('span', { class: 'muted small' }, tags.join(', ')) : null);
}

function originName(origin) {
  switch (origin) {
    case 'builtin': return t('rules.originBuiltin');
    case 'custom': return t('rules.originCustom');
    default: return origin || '—';
  }
}

function kindName(kind) {
  switch (kind) {
    case 'detection': return t('alert.kindDetection');
    case 'correlation': return t('alert.kindCorrelation');
    default: return kind || '—';
  }
}

function percent(fraction) {
  return new Intl.NumberFormat(currentLanguage(), { style: 'percent', maximumFractionDigits: 1 }).format(fraction || 0);
}

function cost(ms) {
  return new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: ms >= 10 ? 0 : 2 }).format(ms || 0);
}

function matches(r, f) {
  if (f.level && (r.level || 'none') !== f.level) return false;
  if (f.origin && r.origin !== f.origin) return false;
  if (f.kind && r.kind !== f.kind) return false;
  if (f.state === 'enabled' && !r.enabled) return false;
  if (f.state === 'disabled' && r.enabled) return false;
  if (f.q) {
    const words = f.q.toLowerCase().split(/\s+/).filter(Boolean);
    const hay = [r.title, r.id, r.file, ...(r.tags || []), ...(r.tags || []).map(techniqueOf)].join(' ').toLowerCase();
    if (!words.every((w) => hay.includes(w))) return false;
  }
  return true;
}

function stat(label, value, testid, note) {
  return h('div', { class: 'stat', testid }, h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value', testid: `${testid}-value` }, value),
    note ? h('div', { class: 'muted small' }, note) : null);
}

// createRuleTable returns {el, update(data)}: el is the section, update draws the
// answer of GET /api/v1/rules; reload fetches it again after a change.
export function createRuleTable(query, reload) {
  const msg = messageBox('rules-msg');
  const filters = {};
  for (const k of RULE_FILTERS) filters[k] = query.get(k) || '';
  if (!SORTS.includes(filters.sort)) filters.sort = '';
  const writable = can('rules:write');
  let items = [];

  const summaryBox = h('div', { class: 'stats', testid: 'rules-summary' });
  const countBox = h('span', { class: 'muted', testid: 'rules-shown' });
  const body = h('div', { testid: 'rules-list' }, h('p', { class: 'muted' }, t('common.loading')));

  // The filters live in the address: a select is a step back can undo, typing
  // replaces the address as it goes.
  function syncAddress(push) {
    const q = new URLSearchParams();
    for (const k of RULE_FILTERS) if (filters[k]) q.set(k, filters[k]);
    const s = q.toString();
    const hash = s ? `#/rules?${s}` : '#/rules';
    if (hash === location.hash) return;
    if (push) history.pushState(null, '', hash);
    else history.replaceState(null, '', hash);
  }

  const search = h('input', {
    class: 'input input-search', type: 'search', testid: 'rules-search', value: filters.q, autocomplete: 'off',
    placeholder: t('rules.searchHint'),
  });
  search.addEventListener('input', () => { filters.q = search.value.trim(); syncAddress(false); draw(); });
  const select = (name, options) => {
    const el = h('select', { class: 'input', testid: `rules-filter-${name}` }, options);
    el.value = filters[name];
    el.addEventListener('change', () => { filters[name] = el.value; syncAddress(true); draw(); });
    return el;
  };
  const level = select('level', [optionList([...LEVELS, 'none'], (l) => (l === 'none' ? t('rules.levelNone') : levelName(l)), t('alerts.filterAll'))]);
  const origin = select('origin', optionList(['builtin', 'custom'], originName, t('alerts.filterAll')));
  const kind = select('kind', optionList(['detection', 'correlation'], kindName, t('alerts.filterAll')));
  const state = select('state', [h('option', { value: '' }, t('alerts.filterAll')),
    h('option', { value: 'enabled' }, t('rules.stateEnabled')), h('option', { value: 'disabled' }, t('rules.stateDisabled'))]);
  const form = h('form', { class: 'filters', testid: 'rules-filters', on: { submit: (ev) => ev.preventDefault() } },
    field(t('rules.search'), search), field(t('alerts.level'), level), field(t('rules.origin'), origin),
    field(t('alert.kind'), kind), field(t('rules.state'), state));

  async function setEnabled(r, box) {
    box.disabled = true;
    msg.clear();
    try {
      await api.patch(`/api/v1/rules/${encodeURIComponent(r.id)}`, { enabled: box.checked });
      msg.success(box.checked ? t('rules.enabledMsg', { title: r.title }) : t('rules.disabledMsg', { title: r.title }));
      await reload();
    } catch (e) {
      box.checked = r.enabled;
      box.disabled = false;
      msg.error(errorText(e));
    }
  }

  function enabledCell(r) {
    if (!writable) return r.enabled ? badge(t('rules.on'), 'ok') : badge(t('rules.off'), 'warn');
    const box = h('input', { type: 'checkbox', checked: r.enabled, testid: 'rule-toggle', 'aria-label': t('rules.toggle', { title: r.title }) });
    box.addEventListener('change', () => setEnabled(r, box));
    return h('label', { class: 'switch' }, box, h('span', { testid: 'rule-enabled' }, r.enabled ? t('rules.on') : t('rules.off')));
  }

  function row(r) {
    return h('tr', { testid: 'rule-row', class: r.enabled ? '' : 'row-off', dataset: { id: r.id, origin: r.origin, enabled: String(r.enabled) } },
      h('td', { class: 'rule-title-cell', title: r.file || null },
        h('div', { testid: 'rule-title' }, r.title || r.id),
        h('div', { class: 'mono muted small nowrap' }, r.id),
        h('div', { class: 'rule-badges' },
          h('span', { testid: 'rule-origin', dataset: { value: r.origin } }, badge(originName(r.origin), r.origin === 'custom' ? 'info' : '')),
          r.origin === 'custom' && r.file ? h('span', { class: 'mono small', testid: 'rule-file' }, r.file) : null,
          r.generates ? null : h('span', { title: t('rules.feedsCorrelationHint') }, badge(t('rules.feedsCorrelation'))))),
      h('td', null, r.level ? levelBadge(r.level) : h('span', { class: 'muted' }, '—'),
        h('div', { class: 'muted small', testid: 'rule-kind' }, kindName(r.kind))),
      tagCell(r.tags),
      h('td', { class: 'nowrap' }, enabledCell(r)),
      h('td', { class: 'num', testid: 'rule-evaluations', title: t('rules.skippedHint', { n: formatNumber(r.skipped || 0) }) }, formatNumber(r.evaluations || 0)),
      h('td', { class: 'num', testid: 'rule-hits' }, formatNumber(r.hits || 0)),
      h('td', { class: 'num', testid: 'rule-alerts' }, formatNumber(r.alerts || 0)),
      h('td', { class: 'num', testid: 'rule-suppressed' }, formatNumber(r.suppressed || 0)),
      h('td', { class: 'num', testid: 'rule-muted' }, formatNumber(r.muted || 0)),
      h('td', { class: 'num', testid: 'rule-cost' }, cost(r.cost_ms)));
  }

  function header(label, key) {
    if (!key) return h('th', null, label);
    const active = filters.sort === key;
    return h('th', { class: 'num', 'aria-sort': active ? 'descending' : null },
      h('button', {
        type: 'button', class: ['th-sort', active ? 'active' : ''], testid: `rules-sort-${key}`, title: t('rules.sortHint'),
        on: { click: () => { filters.sort = active ? '' : key; syncAddress(true); draw(); } },
      }, label, active ? ' ↓' : ''));
  }

  function draw() {
    const shown = items.filter((r) => matches(r, filters));
    if (filters.sort) shown.sort((a, b) => (b[filters.sort] || 0) - (a[filters.sort] || 0));
    countBox.textContent = t('rules.shown', { shown: shown.length, total: items.length });
    if (!shown.length) {
      mount(body, h('p', { class: 'empty', testid: 'rules-empty' }, items.length ? t('rules.emptyFiltered') : t('rules.empty')));
      return;
    }
    mount(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top table-compact', testid: 'rules-table' },
      h('thead', null, h('tr', null,
        header(t('rules.rule')), header(t('rules.levelKind')),
        header(t('rules.tags')), header(t('rules.state')),
        header(t('rules.evaluations'), 'evaluations'), header(t('rules.hits'), 'hits'), header(t('rules.alerts'), 'alerts'),
        header(t('rules.suppressed'), 'suppressed'), header(t('rules.muted'), 'muted'), header(t('rules.cost'), 'cost_ms'))),
      h('tbody', null, shown.map(row)))));
  }

  function drawSummary(sum) {
    const enabled = items.filter((r) => r.enabled).length;
    mount(summaryBox,
      stat(t('rules.statRules'), formatNumber(items.length), 'rules-stat-rules', t('rules.statEnabled', { n: formatNumber(enabled) })),
      stat(t('rules.statEvents'), formatNumber(sum.events || 0), 'rules-stat-events'),
      stat(t('rules.statSkipped'), percent(sum.skipped_fraction), 'rules-stat-skipped'),
      stat(t('rules.statAlerts'), formatNumber(sum.alerts || 0), 'rules-stat-alerts'),
      stat(t('rules.statIntel'), formatNumber(sum.intel_indicators || 0), 'rules-stat-intel'));
  }

  const el = card(t('rules.title'), 'rules-card',
    h('p', { class: 'muted' }, t('rules.intro')),
    summaryBox,
    msg.el,
    form,
    h('div', { class: 'toolbar' }, countBox),
    body);

  return {
    el,
    rules: () => items,
    update(data, err) {
      if (err) {
        msg.error(err.status === 503 ? t('rules.notRunning') : errorText(err));
        mount(body);
        mount(summaryBox);
        return;
      }
      items = (data && data.items) || [];
      drawSummary((data && data.summary) || {});
      draw();
    },
  };
}
