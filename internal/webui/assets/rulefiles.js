// The uploaded rule files of the Rules page (GET /api/v1/rules/custom): the list
// with the rules each file loaded, and for callers who may change rules an upload
// (a chosen .yml file or pasted YAML under a file name, PUT as the raw body) and
// deleting. A refused upload shows every file:line reason the server gave.
import { api, errorText } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, messageBox, field, timeAgo, formatBytes, confirmDialog } from './dom.js';
import { can } from './session.js';

const MAX_BYTES = 1 << 20;

function byteLength(text) {
  return new TextEncoder().encode(text).length;
}

// uploadError shows a refused upload: the message, and each reason of a 422.
function uploadError(msg, e) {
  const reasons = e && e.detail && Array.isArray(e.detail.rejected) ? e.detail.rejected : [];
  if (e && e.status === 422 && reasons.length) {
    msg.error(t('rulefiles.rejected', { count: reasons.length, loaded: e.detail.loaded || 0 }),
      h('ul', { class: 'reasons', testid: 'rulefile-reasons' }, reasons.map((r) => h('li', { class: 'mono', testid: 'rulefile-reason' }, r))));
    return;
  }
  msg.error(errorText(e));
}

// createRuleFiles returns {el, update(files, rules, err)}; reload fetches the
// files and the live rules again after a change.
export function createRuleFiles(reload) {
  const writable = can('rules:write');
  const msg = messageBox('rulefile-msg');
  const body = h('div', { testid: 'rulefiles-list' }, h('p', { class: 'muted' }, t('common.loading')));
  let files = [];

  async function remove(f) {
    if (!(await confirmDialog(t('rulefiles.confirmDelete', { name: f.name }), t('rulefiles.delete')))) return;
    msg.clear();
    try {
      await api.del(`/api/v1/rules/custom/${encodeURIComponent(f.name)}`);
      msg.success(t('rulefiles.deleted', { name: f.name }));
      await reload();
    } catch (e) {
      msg.error(errorText(e));
    }
  }

  function row(f, rules) {
    const loaded = rules.filter((r) => r.origin === 'custom' && r.file === f.name);
    const cells = [
      h('td', { class: 'mono', testid: 'rulefile-name' }, f.name),
      h('td', { testid: 'rulefile-rules' }, loaded.length
        ? h('ul', { class: 'plain-list compact' }, loaded.map((r) => h('li', null,
          h('a', { href: `#/rules?q=${encodeURIComponent(r.id)}` }, r.title || r.id))))
        : h('span', { class: 'muted' }, '—')),
      h('td', { class: 'num nowrap' }, formatBytes(byteLength(f.data || ''))),
      h('td', { testid: 'rulefile-by' }, f.uploaded_by || '—'),
      h('td', { class: 'nowrap' }, timeAgo(f.uploaded_at)),
      h('td', { class: 'rulefile-source' }, h('details', null, h('summary', null, t('rulefiles.show')),
        h('pre', { class: 'code-box', testid: 'rulefile-data' }, f.data || ''))),
    ];
    if (writable) {
      cells.push(h('td', { class: 'actions-cell' }, h('button', {
        type: 'button', class: 'btn btn-small btn-danger', testid: 'rulefile-delete', on: { click: () => remove(f) },
      }, t('rulefiles.delete'))));
    }
    return h('tr', { testid: 'rulefile-row', dataset: { name: f.name } }, cells);
  }

  function uploadForm() {
    const chooser = h('input', { type: 'file', class: 'input', accept: '.yml,.yaml', testid: 'rulefile-input' });
    const name = h('input', { class: 'input', type: 'text', testid: 'rulefile-name-input', autocomplete: 'off', placeholder: 'site-rules.yml', required: true });
    const text = h('textarea', { class: 'input mono', rows: '10', testid: 'rulefile-text', spellcheck: 'false', placeholder: t('rulefiles.pasteHint') });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'rulefile-upload' }, t('rulefiles.upload'));
    chooser.addEventListener('change', async () => {
      const file = chooser.files && chooser.files[0];
      if (!file) return;
      msg.clear();
      if (file.size > MAX_BYTES) {
        msg.error(t('rulefiles.tooBig'));
        return;
      }
      text.value = await file.text();
      name.value = file.name;
    });
    return h('form', {
      class: 'form form-wide', testid: 'rulefile-form',
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          msg.clear();
          const fileName = name.value.trim();
          if (!fileName || !text.value.trim()) {
            msg.error(t('rulefiles.needNameAndText'));
            return;
          }
          if (files.some((f) => f.name === fileName) &&
              !(await confirmDialog(t('rulefiles.confirmReplace', { name: fileName }), t('rulefiles.replace')))) return;
          submit.disabled = true;
          try {
            const res = await api.putRaw(`/api/v1/rules/custom/${encodeURIComponent(fileName)}`, text.value, 'application/yaml');
            msg.success(t('rulefiles.uploaded', { name: fileName, count: (res && res.loaded) || 0 }));
            text.value = '';
            name.value = '';
            chooser.value = '';
            await reload();
          } catch (e) {
            uploadError(msg, e);
          } finally {
            submit.disabled = false;
          }
        },
      },
    },
    h('div', { class: 'form-grid' }, field(t('rulefiles.chooseFile'), chooser), field(t('rulefiles.name'), name, t('rulefiles.nameHint'))),
    field(t('rulefiles.yaml'), text),
    submit);
  }

  const el = card(t('rulefiles.title'), 'rulefiles-card',
    h('p', { class: 'muted' }, t('rulefiles.intro')),
    msg.el,
    body,
    writable ? h('details', { class: 'add-box', testid: 'rulefile-add', open: true }, h('summary', null, t('rulefiles.addTitle')), uploadForm()) : null);

  return {
    el,
    update(list, rules, err) {
      if (err) {
        mount(body, h('p', { class: 'empty' }, err.status === 503 ? t('rules.notRunning') : errorText(err)));
        return;
      }
      files = list || [];
      if (!files.length) {
        mount(body, h('p', { class: 'empty', testid: 'rulefiles-empty' }, t('rulefiles.empty')));
        return;
      }
      const heads = [t('rulefiles.name'), t('rulefiles.rules'), t('rulefiles.size'), t('rulefiles.by'), t('rulefiles.at'), t('rulefiles.content')];
      if (writable) heads.push('');
      mount(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: 'rulefiles-table' },
        h('thead', null, h('tr', null, heads.map((x) => h('th', null, x)))),
        h('tbody', null, files.map((f) => row(f, rules || []))))));
    },
  };
}
