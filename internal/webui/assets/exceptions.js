// The false-positive exceptions (made from alerts; each suppresses one rule on
// chosen field values), with their suppression counts, editing, deleting and the
// Sigma export: the last section of the Rules page.
import { api, errorText } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, badge, messageBox, formatTime, formatNumber, field, confirmDialog } from './dom.js';
import { can } from './session.js';

function localInput(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function expired(x) {
  return !!x.expires && new Date(x.expires).getTime() < Date.now();
}

function stateBadge(x) {
  if (x.disabled) return badge(t('exceptions.disabled'), 'warn');
  if (expired(x)) return badge(t('exceptions.expired'), 'warn');
  return badge(t('exceptions.active'), 'ok');
}

function fieldChips(fields) {
  return h('span', { class: 'chips', testid: 'exception-fields' },
    Object.entries(fields || {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => h('code', { dataset: { field: k } }, `${k}=${v}`)));
}

// editForm changes reason, expiry and whether it applies. The API replaces an
// exception's fields too, so the form sends them back as they are.
function editForm(x, onSaved, onCancel) {
  const msg = messageBox('exception-edit-error');
  const reason = h('textarea', { class: 'input', rows: '2', testid: 'exception-edit-reason' });
  reason.value = x.reason || '';
  const expires = h('input', { class: 'input', type: 'datetime-local', testid: 'exception-edit-expires', value: localInput(x.expires) });
  const disabled = h('input', { type: 'checkbox', testid: 'exception-edit-disabled', checked: !!x.disabled });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'exception-edit-save' }, t('common.save'));
  return h('form', {
    class: 'form', testid: 'exception-edit-form',
    on: {
      submit: async (ev) => {
        ev.preventDefault();
        msg.clear();
        const body = { fields: x.fields, reason: reason.value, disabled: disabled.checked };
        if (expires.value) body.expires = new Date(expires.value).toISOString();
        submit.disabled = true;
        try {
          await api.patch(`/api/v1/exceptions/${x.id}`, body);
          await onSaved();
        } catch (e) {
          msg.error(errorText(e));
        } finally {
          submit.disabled = false;
        }
      },
    },
  },
  msg.el,
  field(t('exception.reason'), reason),
  field(t('exception.expires'), expires, t('exceptions.expiresHint')),
  h('label', { class: 'check' }, disabled, t('exceptions.disable')),
  h('div', { class: 'actions actions-start' }, submit,
    h('button', { type: 'button', class: 'btn btn-small', testid: 'exception-edit-cancel', on: { click: onCancel } }, t('common.cancel'))));
}

export function renderExceptions(box) {
  const msg = messageBox('exceptions-msg');
  const body = h('div', { testid: 'exceptions-list' }, h('p', { class: 'muted' }, t('common.loading')));
  const writable = can('exceptions:write');
  let editing = 0;
  let items = [];

  function row(x) {
    const cells = [
      h('td', { class: 'mono nowrap' }, String(x.id)),
      h('td', { testid: 'exception-rule' }, x.rule_title || x.rule_id, h('div', { class: 'mono muted small' }, x.rule_id)),
      h('td', null, fieldChips(x.fields)),
      h('td', { testid: 'exception-author' }, x.author),
      h('td', { class: 'reason-cell', testid: 'exception-reason' }, x.reason),
      h('td', { class: 'nowrap', testid: 'exception-expires' }, x.expires ? formatTime(x.expires) : t('exceptions.noExpiry')),
      h('td', { class: 'num', testid: 'exception-suppressed' }, formatNumber(x.suppressed || 0)),
      h('td', { testid: 'exception-state' }, stateBadge(x)),
    ];
    if (writable) {
      cells.push(h('td', { class: 'actions-cell' },
        h('button', { type: 'button', class: 'btn btn-small', testid: 'exception-edit', on: { click: () => { editing = x.id; draw(); } } }, t('exceptions.edit')),
        h('button', {
          type: 'button', class: 'btn btn-small btn-danger', testid: 'exception-delete',
          on: {
            click: async () => {
              if (!(await confirmDialog(t('exceptions.confirmDelete', { id: x.id }), t('exceptions.delete')))) return;
              msg.clear();
              try {
                await api.del(`/api/v1/exceptions/${x.id}`);
                msg.success(t('exceptions.deleted', { id: x.id }));
                await load();
              } catch (e) {
                msg.error(errorText(e));
              }
            },
          },
        }, t('exceptions.delete'))));
    }
    const out = [h('tr', { testid: 'exception-row', dataset: { id: String(x.id), rule: x.rule_id, disabled: String(!!x.disabled) } }, cells)];
    if (editing === x.id) {
      out.push(h('tr', { class: 'edit-row' }, h('td', { colspan: String(cells.length) },
        editForm(x, async () => { editing = 0; msg.success(t('exceptions.saved', { id: x.id })); await load(); }, () => { editing = 0; draw(); }))));
    }
    return out;
  }

  function draw() {
    if (!items.length) {
      mount(body, h('p', { class: 'empty', testid: 'exceptions-empty' }, t('exceptions.empty')));
      return;
    }
    const heads = [t('incidents.id'), t('alerts.rule'), t('exceptions.fields'), t('exceptions.author'), t('exception.reason'),
      t('exception.expires'), t('exceptions.suppressed'), t('exceptions.state')];
    if (writable) heads.push('');
    mount(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: 'exceptions-table' },
      h('thead', null, h('tr', null, heads.map((x) => h('th', null, x)))),
      h('tbody', null, items.map(row)))));
  }

  async function load() {
    try {
      const data = await api.get('/api/v1/exceptions');
      items = (data && data.items) || [];
      draw();
    } catch (e) {
      msg.error(errorText(e));
      mount(body);
    }
  }

  mount(box, card(t('exceptions.title'), 'exceptions-card',
    h('div', { class: 'toolbar' },
      h('p', { class: 'muted' }, t('exceptions.intro')),
      h('a', { href: '/api/v1/exceptions/export', download: 'vigil-exceptions.yml', class: 'btn btn-small', testid: 'exceptions-export' }, t('exceptions.export'))),
    msg.el,
    body));
  return load();
}
