// Small DOM helpers. Everything is built with createElement and text nodes;
// the console never assigns HTML strings, so server data cannot inject markup.
import { t, currentLanguage } from './i18n.js';

// h('div', {class: 'x', testid: 'y', on: {click: fn}}, child, ...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
      else if (key === 'testid') el.dataset.testid = value;
      else if (key === 'on') {
        for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
      } else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled' ||
               key === 'hidden' || key === 'required' || key === 'readOnly' || key === 'htmlFor') el[key] = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// A labelled form field. input is the control element.
export function field(labelText, input, hint) {
  if (!input.id) input.id = 'f-' + Math.random().toString(36).slice(2, 9);
  return h('div', { class: 'field' },
    h('label', { htmlFor: input.id }, labelText),
    input,
    hint ? h('div', { class: 'hint' }, hint) : null);
}

// A message area that shows errors or notices; returns {el, error, info, clear}.
export function messageBox(testid) {
  const el = h('div', { class: 'msg', role: 'alert', testid, hidden: true });
  return {
    el,
    error(text, detail) {
      el.className = 'msg msg-error';
      mount(el, text, detail ? h('div', { class: 'msg-detail', testid: testid ? `${testid}-detail` : null }, detail) : null);
      el.hidden = false;
    },
    info(text) { el.className = 'msg msg-info'; el.textContent = text; el.hidden = false; },
    success(text) { el.className = 'msg msg-success'; el.textContent = text; el.hidden = false; },
    clear() { el.hidden = true; el.textContent = ''; },
  };
}

export function formatTime(value) {
  if (!value) return t('common.never');
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(currentLanguage(), {
    year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).format(d);
}

// relativeTime says how long ago (or in how long) a time is, in the current
// language: "12 seconds ago", "5 minutes ago", "yesterday".
export function relativeTime(value, now = Date.now()) {
  if (!value) return t('common.never');
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const diff = (d.getTime() - now) / 1000;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(currentLanguage(), { numeric: 'auto' });
  if (abs < 60) return rtf.format(Math.round(diff), 'second');
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), 'hour');
  if (abs < 86400 * 30) return rtf.format(Math.round(diff / 86400), 'day');
  if (abs < 86400 * 365) return rtf.format(Math.round(diff / (86400 * 30)), 'month');
  return rtf.format(Math.round(diff / (86400 * 365)), 'year');
}

// timeAgo shows an absolute time with how long ago it was beneath it.
export function timeAgo(value, testid) {
  if (!value) return h('span', { class: 'muted', testid }, t('common.never'));
  return h('span', { class: 'time-ago', testid },
    h('span', null, formatTime(value)),
    h('span', { class: 'muted small' }, relativeTime(value)));
}

export function formatNumber(n) {
  return new Intl.NumberFormat(currentLanguage()).format(n);
}

// formatBytes shows a byte count in binary units (1.5 MiB).
export function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  const digits = i === 0 || Math.abs(v) >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: digits }).format(v)} ${units[i]}`;
}

export function badge(text, kind) {
  return h('span', { class: ['badge', kind ? 'badge-' + kind : ''] }, text);
}

export function table(testid, headers, rows) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table', testid },
      h('thead', null, h('tr', null, headers.map((x) => h('th', null, x)))),
      h('tbody', null, rows)));
}

export function card(title, testid, ...body) {
  return h('section', { class: 'card', testid },
    title ? h('h2', { class: 'card-title' }, title) : null,
    ...body);
}

// A modal confirmation; resolves true when the user confirms.
export function confirmDialog(message, confirmLabel, danger = true) {
  return new Promise((resolve) => {
    const done = (answer) => { overlay.remove(); document.removeEventListener('keydown', onKey); resolve(answer); };
    const onKey = (ev) => { if (ev.key === 'Escape') done(false); };
    const ok = h('button', { type: 'button', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], testid: 'confirm-ok', on: { click: () => done(true) } }, confirmLabel);
    const overlay = h('div', { class: 'overlay', testid: 'confirm-dialog' },
      h('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true' },
        h('p', null, message),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'btn', testid: 'confirm-cancel', on: { click: () => done(false) } }, t('common.cancel')),
          ok)));
    document.addEventListener('keydown', onKey);
    document.body.appendChild(overlay);
    ok.focus();
  });
}

// Copies text to the clipboard; falls back to a selection-based copy where the
// asynchronous clipboard API is unavailable (plain http on a non-local host).
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_) { /* fall through */ }
  const area = h('textarea', { class: 'offscreen', readOnly: true }, text);
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
  area.remove();
  return ok;
}

// A one-time secret display with a copy button.
export function secretBox(value, testid) {
  const status = h('span', { class: 'copy-status', 'aria-live': 'polite' });
  const btn = h('button', {
    type: 'button', class: 'btn btn-small', testid: testid + '-copy',
    on: {
      click: async () => {
        status.textContent = (await copyText(value)) ? t('common.copied') : t('common.copyFailed');
      },
    },
  }, t('common.copy'));
  return h('div', { class: 'secret' }, h('code', { class: 'secret-value', testid }, value), btn, status);
}

// A shell command to type elsewhere, with a copy button.
export function commandBox(command, testid) {
  const status = h('span', { class: 'copy-status', 'aria-live': 'polite' });
  const btn = h('button', {
    type: 'button', class: 'btn btn-small', testid: testid + '-copy',
    on: {
      click: async () => {
        status.textContent = (await copyText(command)) ? t('common.copied') : t('common.copyFailed');
      },
    },
  }, t('common.copy'));
  return h('div', { class: 'command' }, h('code', { class: 'command-text', testid }, command), btn, status);
}
