// Settings → Notifications: the channels and routes of the server's configuration
// file (GET /api/v1/notify; secrets and robot tokens are hidden by the server), a
// test message per channel for callers who may change settings, and the delivery
// log (test messages included), where failed deliveries stand out with their errors.
import { api, errorText } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, badge, messageBox, formatNumber, timeAgo } from './dom.js';
import { can } from './session.js';
import { levelName } from './labels.js';
import { renderPagedTable } from './paged.js';

// The defaults the dispatcher applies to a channel without its own rate limit.
const DEFAULT_RATE = 20;
const DEFAULT_BURST = 5;

const EXAMPLE = `notify:
  channels:
    - name: soc-mail
      type: email
      host: smtp.example.com
      from: Vigil <vigil@example.com>
      to: [soc@example.com]
  routes:
    - name: high and critical
      channels: [soc-mail]
      min_severity: high`;

function typeName(type) {
  switch (type) {
    case 'webhook': return t('notify.typeWebhook');
    case 'email': return t('notify.typeEmail');
    case 'slack': return t('notify.typeSlack');
    case 'dingtalk': return t('notify.typeDingtalk');
    case 'wecom': return t('notify.typeWecom');
    case 'feishu': return t('notify.typeFeishu');
    default: return type || '—';
  }
}

function kindName(kind) {
  switch (kind) {
    case 'incident.created': return t('notify.kindCreated');
    case 'incident.updated': return t('notify.kindUpdated');
    case 'incident.escalated': return t('notify.kindEscalated');
    case 'incident.status': return t('notify.kindStatus');
    case 'incident.sla_breach': return t('notify.kindSlaBreach');
    case 'notify.test': return t('notify.kindTest');
    default: return kind || '—';
  }
}

// The channel types whose messages are signed with the channel's secret.
const SIGNING_TYPES = ['webhook', 'dingtalk', 'feishu'];

// secretNode says what the channel's hidden secret does (has_secret): an email
// channel with a password signs in to its server, the others sign their messages.
// A channel that could sign but has no secret says so.
function secretNode(c) {
  const attrs = (value) => ({ class: 'channel-secret', testid: 'channel-secret', dataset: { hasSecret: String(!!c.has_secret) }, title: value });
  if (c.has_secret) {
    if (c.type === 'email') return h('div', attrs(t('notify.signsInHint')), badge(t('notify.signsIn'), 'ok'));
    return h('div', attrs(t('notify.signedHint')), badge(t('notify.signed'), 'ok'));
  }
  if (SIGNING_TYPES.includes(c.type)) return h('div', attrs(t('notify.unsignedHint')), badge(t('notify.unsigned'), 'warn'));
  return null;
}

// target says where a channel delivers: its (redacted) address, or for email the
// server and the recipients, and whether it signs.
function target(c) {
  if (c.type === 'email') {
    const port = c.port || (c.tls === 'tls' ? 465 : c.tls === 'none' ? 25 : 587);
    return h('div', { class: 'channel-target' },
      h('div', { class: 'mono' }, `${c.host || '—'}:${port}`, ' ', badge(c.tls || 'starttls')),
      c.from ? h('div', { class: 'small' }, t('notify.from'), ' ', h('span', { class: 'mono' }, c.from)) : null,
      h('div', { class: 'small' }, t('notify.to'), ' ', h('span', { class: 'chips' }, (c.to || []).map((x) => h('code', null, x)))),
      secretNode(c));
  }
  return h('div', { class: 'channel-target' },
    h('div', { class: 'mono', testid: 'channel-url' }, c.url || '—'),
    c.msg_type ? h('div', { class: 'small muted' }, t('notify.msgType', { type: c.msg_type })) : null,
    secretNode(c));
}

function listOrDash(list) {
  if (!list || !list.length) return null;
  return h('span', { class: 'chips' }, list.map((x) => h('code', null, x)));
}

function criteria(r) {
  const parts = [];
  if (r.min_severity) parts.push(h('div', null, t('notify.minSeverity'), ' ', h('strong', null, levelName(String(r.min_severity).toLowerCase()))));
  if ((r.kinds || []).length) parts.push(h('div', null, t('notify.kinds'), ' ', listOrDash(r.kinds)));
  if ((r.tactics || []).length) parts.push(h('div', null, t('notify.tactics'), ' ', listOrDash(r.tactics)));
  if ((r.techniques || []).length) parts.push(h('div', null, t('notify.techniques'), ' ', listOrDash(r.techniques)));
  if ((r.host_groups || []).length) parts.push(h('div', null, t('notify.hostGroups'), ' ', listOrDash(r.host_groups)));
  return parts.length ? parts : h('span', { class: 'muted' }, t('notify.everything'));
}

function testButton(c, result) {
  const btn = h('button', { type: 'button', class: 'btn btn-small', testid: 'channel-test' }, t('notify.test'));
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    mount(result, h('span', { class: 'muted' }, t('notify.testing')));
    delete result.dataset.ok;
    try {
      const res = await api.post('/api/v1/notify/test', { channel: c.name });
      result.dataset.ok = String(!!(res && res.ok));
      if (res && res.ok) mount(result, badge(t('notify.testOk'), 'ok'));
      else mount(result, badge(t('notify.testFailed'), 'bad'), ' ', h('span', { class: 'delivery-error', testid: 'channel-test-error' }, (res && res.error) || ''));
    } catch (e) {
      result.dataset.ok = 'false';
      mount(result, badge(t('notify.testFailed'), 'bad'), ' ', h('span', { class: 'delivery-error', testid: 'channel-test-error' }, errorText(e)));
    } finally {
      btn.disabled = false;
    }
  });
  return btn;
}

function channelsCard(cfg) {
  const channels = cfg.channels || [];
  const writable = can('settings:write');
  if (!channels.length) {
    return card(t('notify.channels'), 'notify-channels',
      h('p', { class: 'empty', testid: 'notify-empty' }, t('notify.noChannels')),
      h('p', { class: 'muted' }, t('notify.exampleIntro')),
      h('pre', { class: 'code-box', testid: 'notify-example' }, EXAMPLE));
  }
  const heads = [t('notify.name'), t('notify.type'), t('notify.target'), t('notify.rate')];
  if (writable) heads.push(t('notify.testTitle'));
  return card(t('notify.channels'), 'notify-channels',
    h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: 'notify-channels-table' },
      h('thead', null, h('tr', null, heads.map((x) => h('th', null, x)))),
      h('tbody', null, channels.map((c) => {
        const result = h('div', { class: 'test-result', testid: 'channel-test-result' });
        return h('tr', { testid: 'channel-row', dataset: { name: c.name, type: c.type } },
          h('td', { class: 'mono nowrap', testid: 'channel-name' }, c.name),
          h('td', { testid: 'channel-type' }, typeName(c.type)),
          h('td', null, target(c)),
          h('td', { class: 'nowrap' }, t('notify.rateValue', { rate: formatNumber(c.rate_per_minute || DEFAULT_RATE), burst: formatNumber(c.burst || DEFAULT_BURST) })),
          writable ? h('td', { class: 'test-cell' }, testButton(c, result), result) : null);
      })))),
    writable ? h('p', { class: 'hint' }, t('notify.testHint')) : null);
}

function routesCard(cfg) {
  const routes = cfg.routes || [];
  return card(t('notify.routes'), 'notify-routes',
    h('p', { class: 'muted' }, t('notify.routesIntro')),
    routes.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: 'notify-routes-table' },
      h('thead', null, h('tr', null, [t('notify.name'), t('notify.routeChannels'), t('notify.criteria')].map((x) => h('th', null, x)))),
      h('tbody', null, routes.map((r, i) => h('tr', { testid: 'route-row', dataset: { name: r.name || `#${i + 1}` } },
        h('td', null, r.name || h('span', { class: 'muted' }, `#${i + 1}`)),
        h('td', null, listOrDash(r.channels)),
        h('td', null, criteria(r)))))))
      : h('p', { class: 'empty', testid: 'notify-routes-empty' }, (cfg.channels || []).length ? t('notify.noRoutes') : t('notify.noRoutesNoChannels')));
}

function resultBadge(d) {
  if (d.ok) return badge(t('notify.delivered'), 'ok');
  return d.final ? badge(t('notify.failed'), 'bad') : badge(t('notify.failedRetry'), 'warn');
}

function deliveryRow(d) {
  return h('tr', { testid: 'delivery-row', class: d.ok ? '' : 'row-failed', dataset: { id: String(d.id), channel: d.channel, kind: d.kind, ok: String(!!d.ok) } },
    h('td', { class: 'nowrap' }, timeAgo(d.time)),
    h('td', { class: 'mono nowrap', testid: 'delivery-channel' }, d.channel),
    h('td', { testid: 'delivery-kind', title: d.kind }, kindName(d.kind)),
    h('td', null, d.incident_id ? h('a', { href: `#/incidents/${d.incident_id}`, class: 'mono' }, `#${d.incident_id}`) : h('span', { class: 'muted' }, '—')),
    h('td', { class: 'num' }, String(d.attempt || 1)),
    h('td', { testid: 'delivery-result' }, resultBadge(d)),
    h('td', { class: 'delivery-error', testid: 'delivery-error' }, d.error || ''));
}

export function renderNotifications(el) {
  const msg = messageBox('notify-error');
  const config = h('div', { testid: 'notify-config' }, h('p', { class: 'muted' }, t('common.loading')));
  const deliveries = h('div', { testid: 'notify-deliveries' });
  mount(el,
    card(t('notify.title'), 'notify-intro',
      h('p', null, t('notify.intro')),
      h('p', { class: 'muted' }, t('notify.configHint'))),
    msg.el, config, deliveries);
  (async () => {
    try {
      const cfg = await api.get('/api/v1/notify');
      if (!el.isConnected) return;
      mount(config, channelsCard(cfg || {}), routesCard(cfg || {}));
    } catch (e) {
      msg.error(errorText(e));
      mount(config);
    }
  })();
  return renderPagedTable(deliveries, {
    id: 'deliveries',
    permission: 'settings:read',
    path: '/api/v1/notify/deliveries',
    msg: messageBox('deliveries-error'),
    texts: { title: t('notify.deliveries'), intro: t('notify.deliveriesIntro'), empty: t('notify.deliveriesEmpty'), noPermission: t('notify.noPermission') },
    columns: [t('notify.time'), t('notify.channel'), t('notify.kind'), t('alerts.incident'), t('notify.attempt'), t('notify.result'), t('notify.error')],
    row: deliveryRow,
  });
}
