// Hosts: the enrolled agents (a list, and one host's inventory and counters)
// with each host's asset criticality and groups (assets.js, which also lists the
// hosts known only from logs), and the Ingestion tab, which lists the input the
// server rejected.
//
// Agents report whatever inventory and status they have as JSON objects; the
// known fields get labels, the rest is shown under its own name, so a newer
// agent's fields are never hidden.
import { api, errorText, withQuery } from './api.js';
import { t } from './i18n.js';
import {
  h, mount, card, badge, messageBox, formatTime, relativeTime, timeAgo, formatNumber, formatBytes, commandBox,
} from './dom.js';
import { can } from './session.js';
import { renderPagedTable } from './paged.js';
import { fetchAssets, assetSummary, createAssetEditors, assetAddForm, otherHostsCard, hostAssetFacts } from './assets.js';

// Agents send a heartbeat every 30 s: one that has missed three is offline.
export const OFFLINE_AFTER_MS = 90_000;
// The host list and a host's page reload on their own this often.
const REFRESH_MS = 15_000;
const PAGE_SIZE = 50;
// Rejected input longer than this is cut, with a control to show all of it.
const RAW_PREVIEW = 160;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

// every runs fn every ms milliseconds for as long as node is on the page.
function every(ms, node, fn) {
  const id = setInterval(() => {
    if (!node.isConnected) {
      clearInterval(id);
      return;
    }
    fn();
  }, ms);
}

function obj(v) {
  return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function dash() {
  return h('span', { class: 'muted' }, '—');
}

// The label of a field an agent reports, or '' for one this console does not know.
function fieldLabel(key) {
  switch (key) {
    case 'os': return t('field.os');
    case 'kernel': return t('field.kernel');
    case 'arch': return t('field.arch');
    case 'hostname': return t('field.hostname');
    case 'fqdn': return t('field.fqdn');
    case 'ips': return t('field.ips');
    case 'cloud': return t('field.cloud');
    case 'provider': return t('field.provider');
    case 'instance_id': return t('field.instanceId');
    case 'instance_type': return t('field.instanceType');
    case 'region': return t('field.region');
    case 'zone': return t('field.zone');
    case 'account_id': return t('field.accountId');
    case 'cpus': return t('field.cpus');
    case 'memory_bytes': return t('field.memory');
    case 'boot_time': return t('field.bootTime');
    case 'timezone': return t('field.timezone');
    case 'spool': return t('field.spool');
    case 'sender': return t('field.sender');
    case 'state': return t('field.state');
    case 'last_error': return t('field.lastError');
    case 'last_success': return t('field.lastSuccess');
    case 'files': return t('field.files');
    case 'bytes': return t('field.bytes');
    case 'lines': return t('field.lines');
    case 'events': return t('field.events');
    case 'unparsed': return t('field.unparsed');
    case 'rejected': return t('field.rejected');
    case 'dropped': return t('field.dropped');
    case 'errors': return t('field.errors');
    case 'sent': return t('field.sent');
    case 'pending': return t('field.pending');
    case 'retries': return t('field.retries');
    case 'oldest': return t('field.oldest');
    case 'dir': return t('field.dir');
    case 'path': return t('field.path');
    case 'last_event': return t('field.lastEvent');
    default: return '';
  }
}

function labelNode(key) {
  const label = fieldLabel(key);
  return label ? h('span', { title: key }, label) : h('code', null, key);
}

// Known fields first, in this order; the rest alphabetically.
const FIELD_ORDER = ['os', 'kernel', 'arch', 'hostname', 'fqdn', 'ips', 'cloud', 'provider', 'instance_id',
  'instance_type', 'region', 'zone', 'account_id', 'cpus', 'memory_bytes', 'boot_time', 'timezone',
  'state', 'path', 'lines', 'events', 'unparsed', 'rejected', 'dropped', 'errors', 'sent', 'pending', 'retries',
  'files', 'bytes', 'oldest', 'dir', 'last_event', 'last_success', 'last_error'];

function orderKeys(keys) {
  const rank = (k) => {
    const i = FIELD_ORDER.indexOf(k);
    return i < 0 ? FIELD_ORDER.length : i;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function providerName(p) {
  switch (p) {
    case 'aws': return t('cloud.aws');
    case 'alibaba_cloud': return t('cloud.alibabaCloud');
    case 'tencent_cloud': return t('cloud.tencentCloud');
    case 'huawei_cloud': return t('cloud.huaweiCloud');
    case 'azure': return t('cloud.azure');
    case 'gcp': return t('cloud.gcp');
    default: return String(p);
  }
}

// A short text for a value that may be a string or a small object
// ({name, version} for an operating system, say).
function text(v) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(text).join(', ');
  if (v.pretty_name) return String(v.pretty_name);
  if (v.name) return [v.name, v.version].filter(Boolean).join(' ');
  return JSON.stringify(v);
}

function chips(list) {
  return h('span', { class: 'chips' }, list.map((x) => h('code', null, String(x))));
}

// valueNode renders any reported value: numbers, times, lists, nested objects.
function valueNode(key, v, depth = 0) {
  if (v === undefined || v === null || v === '') return dash();
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  if (typeof v === 'number') return /bytes$/.test(key) ? h('span', { title: formatNumber(v) }, formatBytes(v)) : formatNumber(v);
  if (typeof v === 'string') {
    if (key === 'provider') return providerName(v);
    if (ISO_TIME.test(v)) return timeAgo(v);
    return /(_id|^id)$/.test(key) ? h('span', { class: 'mono' }, v) : v;
  }
  if (Array.isArray(v)) {
    if (!v.length) return dash();
    if (v.every((x) => x === null || typeof x !== 'object')) return chips(v);
    return h('ul', { class: 'plain-list' }, v.map((x) => h('li', null, valueNode(key, x, depth + 1))));
  }
  if (depth >= 3) return h('code', null, JSON.stringify(v));
  return facts(v, depth + 1);
}

function facts(o, depth = 0) {
  const keys = orderKeys(Object.keys(o));
  if (!keys.length) return dash();
  return h('dl', { class: ['facts', depth ? 'facts-nested' : ''] },
    keys.map((k) => [h('dt', null, labelNode(k)), h('dd', { dataset: { field: k } }, valueNode(k, o[k], depth))]));
}

function isOffline(a, now) {
  return !a.last_seen || now - new Date(a.last_seen).getTime() > OFFLINE_AFTER_MS;
}

// presence: "Online" with how long ago the last heartbeat came, or
// "Offline since …".
function presence(a, now = Date.now()) {
  if (!a.last_seen) return badge(t('hosts.neverSeen'), 'warn');
  const when = relativeTime(a.last_seen, now);
  if (isOffline(a, now)) {
    return h('span', { class: 'presence', title: formatTime(a.last_seen) },
      h('span', { class: 'badge badge-bad', testid: 'host-offline' }, t('hosts.offlineSince', { time: when })));
  }
  return h('span', { class: 'presence', title: formatTime(a.last_seen) },
    h('span', { class: 'badge badge-ok', testid: 'host-online' }, t('hosts.online')), ' ',
    h('span', { class: 'muted' }, when));
}

function ipList(ips) {
  if (!Array.isArray(ips)) return ips ? h('span', { class: 'mono' }, text(ips)) : dash();
  if (!ips.length) return dash();
  const shown = ips.slice(0, 2);
  return h('span', { class: 'chips', title: ips.join(', ') }, shown.map((x) => h('code', null, String(x))),
    ips.length > shown.length ? h('span', { class: 'muted small' }, t('hosts.moreIps', { count: ips.length - shown.length })) : null);
}

function cloudCell(c) {
  if (!Object.keys(c).length) return dash();
  const where = c.region || c.zone;
  return h('div', { class: 'cloud', title: [c.provider, c.instance_id, c.region, c.zone].filter(Boolean).join(' · ') },
    c.provider ? h('div', null, providerName(c.provider)) : null,
    where ? h('div', { class: 'muted small' }, String(where)) : null,
    c.instance_id ? h('div', { class: 'mono small', testid: 'host-instance' }, String(c.instance_id)) : null);
}

export function renderHosts(el, sub) {
  const view = sub === 'ingestion' ? 'ingestion' : /^\d+$/.test(sub || '') ? 'detail' : 'list';
  const tabs = [
    { id: 'list', href: '#/hosts', label: t('hosts.tabHosts'), testid: 'hosts-tab-hosts' },
    can('ingest:read') ? { id: 'ingestion', href: '#/hosts/ingestion', label: t('hosts.tabIngestion'), testid: 'hosts-tab-ingestion' } : null,
  ].filter(Boolean);
  const active = view === 'ingestion' ? 'ingestion' : 'list';
  const nav = h('nav', { class: 'tabs', testid: 'hosts-tabs' },
    tabs.map((x) => h('a', {
      href: x.href, class: ['tab', x.id === active ? 'active' : ''], testid: x.testid,
      'aria-current': x.id === active ? 'page' : null,
    }, x.label)));
  const body = h('div', { class: 'hosts-body' });
  mount(el, nav, body);
  if (view === 'ingestion') return renderIngestion(body);
  if (!can('hosts:read')) {
    mount(body, card(null, 'hosts-no-permission', h('p', { class: 'empty' }, t('hosts.noPermission'))));
    return undefined;
  }
  if (view === 'detail') return renderDetail(body, sub);
  return renderList(body);
}

// --- The list of hosts ---

// hostRow is one agent; assets is null when the criticalities cannot be read.
function hostRow(a, now, assets, editors) {
  const inv = obj(a.inventory);
  const asset = assets ? assets.get(a.hostname) : null;
  const href = `#/hosts/${a.id}`;
  return h('tr', {
    class: 'clickable', testid: 'host-row', dataset: { hostname: a.hostname, id: String(a.id) },
    on: { click: (ev) => { if (!ev.target.closest('a, button')) location.hash = href; } },
  },
  h('td', { class: 'nowrap' }, h('a', { href, class: 'host-link', testid: 'host-link' }, a.hostname),
    a.disabled ? [' ', badge(t('hosts.disabled'), 'bad')] : null),
  h('td', { testid: 'host-os' }, text(inv.os) || dash()),
  h('td', { class: 'mono small nowrap', testid: 'host-kernel' }, text(inv.kernel) || dash()),
  h('td', { testid: 'host-ips' }, ipList(inv.ips)),
  h('td', { testid: 'host-cloud' }, cloudCell(obj(inv.cloud))),
  h('td', { class: 'mono', testid: 'host-version' }, a.version || dash()),
  assets ? h('td', { class: 'asset-cell', testid: 'host-criticality' }, assetSummary(asset), ' ', editors.button(a.hostname, asset)) : null,
  h('td', { class: 'nowrap' }, timeAgo(a.enrolled_at)),
  h('td', { class: 'nowrap', testid: 'host-last-seen' }, presence(a, now)));
}

// enrolHelp is what an empty fleet shows: how to enrol the first agent,
// with this server's own address in the command.
function enrolHelp() {
  const server = location.origin;
  return card(t('hosts.emptyTitle'), 'hosts-empty',
    h('p', null, t('hosts.emptyIntro')),
    h('ol', { class: 'enrol-steps' },
      h('li', null,
        h('p', null, t('hosts.enrolStep1')),
        commandBox('vigil token create --role ingest --name fleet-enroll', 'enrol-token-command'),
        can('tokens:write') ? h('p', { class: 'hint' }, t('hosts.enrolStep1Console'), ' ',
          h('a', { href: '#/settings/tokens', testid: 'enrol-token-link' }, t('settings.tokens'))) : null),
      h('li', null,
        h('p', null, t('hosts.enrolStep2', { server })),
        commandBox(`vigil agent --server ${server} --enroll TOKEN`, 'enrol-agent-command')),
      h('li', null, h('p', null, t('hosts.enrolStep3')))));
}

function renderList(el) {
  const msg = messageBox('hosts-error');
  const body = h('div', { testid: 'hosts-list' }, h('p', { class: 'muted' }, t('common.loading')));
  let items = [];
  let cursor = '';
  let loaded = false;
  let assets = null;
  const editors = createAssetEditors(() => refresh(), () => draw(), (e) => msg.error(errorText(e)));
  const addForm = editors.writable ? assetAddForm(() => refresh()) : null;

  const moreBtn = h('button', { type: 'button', class: 'btn', testid: 'hosts-more', on: { click: () => more() } }, t('common.loadMore'));
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-small', testid: 'hosts-refresh', on: { click: () => refresh() } }, t('hosts.refresh'));

  function rows(now) {
    const out = [];
    for (const a of items) {
      out.push(hostRow(a, now, assets, editors));
      const ed = assets ? editors.editor(a.hostname) : null;
      if (ed) out.push(h('tr', { class: 'edit-row' }, h('td', { colspan: '9' }, ed)));
    }
    return out;
  }

  function draw() {
    const others = assets ? otherHostsCard(assets, new Set(items.map((a) => a.hostname)), editors, addForm) : null;
    if (!items.length) {
      mount(body, enrolHelp(), others);
      return;
    }
    const now = Date.now();
    const offline = items.filter((a) => isOffline(a, now)).length;
    mount(body, card(t('hosts.listTitle'), 'hosts-card',
      h('div', { class: 'toolbar' },
        h('span', { class: 'muted', testid: 'hosts-summary' }, t('hosts.summary', { count: items.length, offline })),
        refreshBtn),
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'hosts-table' },
        h('thead', null, h('tr', null, [t('hosts.hostname'), t('field.os'), t('field.kernel'), t('field.ips'), t('field.cloud'),
          t('hosts.version'), assets ? t('assets.criticality') : null, t('hosts.enrolled'), t('hosts.lastSeen')]
          .filter((x) => x !== null).map((x) => h('th', null, x)))),
        h('tbody', null, rows(now)))),
      cursor ? h('div', { class: 'more' }, moreBtn) : null), others);
  }

  // refresh reloads as many hosts as are shown, from the top.
  async function refresh() {
    try {
      const limit = Math.min(500, Math.max(PAGE_SIZE, items.length));
      const [data, list] = await Promise.all([api.get(withQuery('/api/v1/agents', { limit })), fetchAssets()]);
      items = (data && data.items) || [];
      assets = list;
      cursor = (data && data.next_cursor) || '';
      loaded = true;
      msg.clear();
      draw();
    } catch (e) {
      msg.error(errorText(e));
      if (!loaded) mount(body);
    }
  }

  async function more() {
    moreBtn.disabled = true;
    try {
      const data = await api.get(withQuery('/api/v1/agents', { limit: PAGE_SIZE, cursor }));
      items = items.concat((data && data.items) || []);
      cursor = (data && data.next_cursor) || '';
      draw();
    } catch (e) {
      msg.error(errorText(e));
    } finally {
      moreBtn.disabled = false;
    }
  }

  mount(el, msg.el, body);
  // The timer does not redraw under someone editing a criticality.
  every(REFRESH_MS, body, () => {
    if (!editors.isEditing() && !(addForm && addForm.contains(document.activeElement))) refresh();
  });
  return refresh();
}

// --- One host ---

// The per-source counters: "sources" is an object keyed by source name (or a
// list of objects with a name); each source's counters become the columns.
function sourceEntries(src) {
  if (Array.isArray(src)) {
    return src.map((s, i) => {
      const o = obj(s);
      const name = o.name ?? o.source ?? o.path ?? o.id ?? i + 1;
      const rest = { ...o };
      for (const k of ['name', 'source']) delete rest[k];
      return [String(name), rest];
    });
  }
  return Object.entries(obj(src)).map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? v : { value: v }]);
}

function sourcesTable(src) {
  const entries = sourceEntries(src).sort((a, b) => a[0].localeCompare(b[0]));
  if (!entries.length) return h('p', { class: 'empty', testid: 'host-sources-empty' }, t('hosts.noSources'));
  const seen = new Set();
  for (const [, counters] of entries) for (const k of Object.keys(counters)) seen.add(k);
  const columns = orderKeys([...seen]);
  const numeric = (k) => entries.every(([, c]) => c[k] === undefined || c[k] === null || typeof c[k] === 'number');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'host-sources-table' },
    h('thead', null, h('tr', null, h('th', null, t('hosts.source')),
      columns.map((k) => h('th', { class: numeric(k) ? 'num' : null }, labelNode(k))))),
    h('tbody', null, entries.map(([name, counters]) => h('tr', { testid: 'source-row', dataset: { source: name } },
      h('td', { class: 'mono' }, name),
      columns.map((k) => h('td', { class: numeric(k) ? 'num' : null, dataset: { counter: k } }, valueNode(k, counters[k], 2))))))));
}

function renderDetail(el, id) {
  const msg = messageBox('host-error');
  const body = h('div', { testid: 'host-detail' }, h('p', { class: 'muted' }, t('common.loading')));
  let loaded = false;
  let gone = false;
  let assets = null;
  let last = null;
  const editors = createAssetEditors(() => load(), () => { if (last) draw(last); }, (e) => msg.error(errorText(e)));

  function draw(a) {
    last = a;
    const inv = obj(a.inventory);
    const status = obj(a.status);
    document.title = `${a.hostname} · ${t('nav.hosts')} · ${t('app.name')}`;
    const rawOpen = !!(body.querySelector('details') || {}).open;

    const summary = card(null, 'host-summary',
      h('div', { class: 'host-head' },
        h('h2', { class: 'host-name', testid: 'host-name' }, a.hostname),
        presence(a),
        a.disabled ? badge(t('hosts.disabled'), 'bad') : null),
      h('dl', { class: 'facts' },
        h('dt', null, t('hosts.agentId')), h('dd', { class: 'mono' }, String(a.id)),
        h('dt', null, t('hosts.machineId')), h('dd', { class: 'mono' }, a.machine_id || dash()),
        h('dt', null, t('hosts.version')), h('dd', { class: 'mono', testid: 'host-version' }, a.version || dash()),
        h('dt', null, t('hosts.enrolled')), h('dd', null, timeAgo(a.enrolled_at)),
        h('dt', null, t('hosts.lastSeen')), h('dd', null, timeAgo(a.last_seen)),
        hostAssetFacts(a.hostname, assets, editors)));

    const inventory = card(t('hosts.inventory'), 'host-inventory',
      Object.keys(inv).length ? facts(inv) : h('p', { class: 'empty' }, t('hosts.noInventory')));

    const stateKeys = orderKeys(Object.keys(status).filter((k) => k !== 'sources'));
    const state = card(t('hosts.agentState'), 'host-state',
      stateKeys.length
        ? stateKeys.map((k) => h('div', { class: 'state-part', testid: `host-state-${k}` },
          h('h3', { class: 'sub-title' }, labelNode(k)), valueNode(k, status[k])))
        : h('p', { class: 'empty' }, t('hosts.noState')));

    const sources = card(t('hosts.sources'), 'host-sources',
      h('p', { class: 'muted' }, t('hosts.sourcesIntro')), sourcesTable(status.sources));

    const raw = h('details', { class: 'raw-json', testid: 'host-raw', open: rawOpen },
      h('summary', null, t('hosts.rawReport')),
      h('pre', { class: 'code-box' }, JSON.stringify({ inventory: inv, status }, null, 2)));

    mount(body, summary, h('div', { class: 'grid grid-2' }, inventory, state), sources, raw);
  }

  async function load() {
    if (gone) return;
    try {
      const [a, list] = await Promise.all([api.get(`/api/v1/agents/${id}`), fetchAssets()]);
      assets = list;
      loaded = true;
      msg.clear();
      draw(a);
    } catch (e) {
      if (e.status === 404) {
        gone = true;
        msg.error(t('hosts.notFound'));
      } else {
        msg.error(errorText(e));
      }
      if (!loaded || gone) mount(body);
    }
  }

  mount(el,
    h('p', { class: 'back' }, h('a', { href: '#/hosts', testid: 'host-back' }, h('span', { 'aria-hidden': 'true' }, '← '), t('hosts.back'))),
    msg.el, body);
  every(REFRESH_MS, body, () => { if (!editors.isEditing()) load(); });
  return load();
}

// --- Ingestion: rejected input ---

// Control characters are shown escaped, so that what was sent is visible.
function visible(s) {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function rawCell(raw) {
  const full = visible(String(raw || ''));
  if (!full) return h('span', { class: 'muted' }, t('ingestion.rawEmpty'));
  const lines = full.split('\n');
  const long = full.length > RAW_PREVIEW || lines.length > 3;
  const preview = long ? `${lines.slice(0, 3).join('\n').slice(0, RAW_PREVIEW)}…` : full;
  const box = h('pre', { class: 'raw-box', testid: 'rejection-raw' }, preview);
  if (!long) return box;
  let open = false;
  const toggle = h('button', { type: 'button', class: 'btn-link small', testid: 'rejection-expand', 'aria-expanded': 'false' },
    t('ingestion.expand', { count: formatNumber(full.length) }));
  toggle.addEventListener('click', () => {
    open = !open;
    box.textContent = open ? full : preview;
    box.classList.toggle('expanded', open);
    toggle.textContent = open ? t('ingestion.collapse') : t('ingestion.expand', { count: formatNumber(full.length) });
    toggle.setAttribute('aria-expanded', String(open));
  });
  return h('div', { class: 'raw-cell' }, box, toggle);
}

// The sender: an agent's source links to its host.
function sourceNode(source) {
  const m = /^agent:(\d+)$/.exec(source || '');
  if (m) return h('a', { href: `#/hosts/${m[1]}`, class: 'mono' }, source);
  return h('span', { class: 'mono' }, source || '—');
}

function rejectionRow(r) {
  return h('tr', { testid: 'rejection-row', dataset: { id: String(r.id) } },
    h('td', { class: 'nowrap' }, timeAgo(r.time)),
    h('td', { class: 'source-cell' }, sourceNode(r.source)),
    h('td', { testid: 'rejection-reason' }, r.reason || dash()),
    h('td', { class: 'raw-col' }, rawCell(r.raw)));
}

function renderIngestion(el) {
  return renderPagedTable(el, {
    id: 'ingestion',
    permission: 'ingest:read',
    path: '/api/v1/ingest/rejections',
    msg: messageBox('ingestion-error'),
    texts: { title: t('ingestion.title'), intro: t('ingestion.intro'), empty: t('ingestion.empty'), noPermission: t('ingestion.noPermission') },
    columns: [t('ingestion.time'), t('ingestion.source'), t('ingestion.reason'), t('ingestion.raw')],
    row: rejectionRow,
  });
}
