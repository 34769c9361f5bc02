// An incident's SLA clocks (time to acknowledge and to contain, docs/INCIDENTS.md)
// as a countdown that follows the time while it is on the page: "Acknowledge in
// 12 minutes", or in red once the server marked it missed (ack_breached,
// contain_breached) or the due time has passed.
import { t } from './i18n.js';
import { h, mount, relativeTime, formatTime } from './dom.js';

const TICK_MS = 30_000;
const live = new Set();
let timer = 0;

function tick() {
  for (const n of live) {
    if (n.el.isConnected) n.update();
    else live.delete(n);
  }
  if (!live.size) {
    clearInterval(timer);
    timer = 0;
  }
}

function clock(kind, done, due, breached, now) {
  const ack = kind === 'ack';
  if (done) {
    if (!breached) return null;
    return h('span', { class: 'sla-item sla-breached', testid: `sla-${kind}`, dataset: { state: 'missed' } },
      ack ? t('sla.ackMissed') : t('sla.containMissed'));
  }
  if (!due) return null;
  const past = new Date(due).getTime() < now;
  const time = relativeTime(due, now);
  const state = breached || past ? 'breached' : 'running';
  let text;
  if (state === 'breached') text = ack ? t('sla.ackOverdue', { time }) : t('sla.containOverdue', { time });
  else text = ack ? t('sla.ackDue', { time }) : t('sla.containDue', { time });
  return h('span', { class: ['sla-item', state === 'breached' ? 'sla-breached' : ''], testid: `sla-${kind}`, title: formatTime(due), dataset: { state } }, text);
}

// slaParts returns the clocks still running or missed for an incident at now.
export function slaParts(x, now = Date.now()) {
  if (x.status === 'closed') return [];
  return [
    clock('ack', !!x.acknowledged_at, x.ack_due, !!x.ack_breached, now),
    clock('contain', !!x.contained_at, x.contain_due, !!x.contain_breached, now),
  ].filter(Boolean);
}

// slaNode shows an incident's clocks and keeps them current.
export function slaNode(x, testid = 'incident-sla') {
  const el = h('span', { class: 'sla', testid });
  const update = () => {
    const parts = slaParts(x);
    mount(el, parts.length ? parts : h('span', { class: 'muted' }, '—'));
    el.classList.toggle('sla-has-breach', parts.some((p) => p.classList.contains('sla-breached')));
  };
  update();
  live.add({ el, update });
  if (!timer) timer = setInterval(tick, TICK_MS);
  return el;
}
