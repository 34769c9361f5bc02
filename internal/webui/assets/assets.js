// Asset criticality on the Hosts page (GET, PUT and DELETE /api/v1/assets): each
// host's criticality (it raises the severity of the host's incidents) and groups
// (for notification routes), set or cleared by callers with assets:write. Hosts
// known only from logs, with no agent, get theirs by name.
//
// The host list and a host's page redraw on a timer, so an open editor is kept
// by host name and put back on every redraw with what was typed in it.
import { api, errorText } from './api.js';
import { t } from './i18n.js';
import { h, card, messageBox, field, timeAgo, confirmDialog } from './dom.js';
import { can } from './session.js';
import { levelBadge, levelName, optionList } from './labels.js';

export const CRITICALITIES = ['low', 'medium', 'high', 'critical'];

// fetchAssets returns the assets by host name, or null when they cannot be read
// (incident management not running): the hosts are shown without them.
export async function fetchAssets() {
  try {
    const data = await api.get('/api/v1/assets', { quiet: true });
    return new Map(((data && data.items) || []).map((a) => [a.host, a]));
  } catch (_) {
    return null;
  }
}

function splitGroups(text) {
  return [...new Set(text.split(/[,\n]/).map((x) => x.trim()).filter(Boolean))];
}

function groupChips(groups) {
  if (!groups || !groups.length) return null;
  return h('span', { class: 'chips', testid: 'asset-groups-shown' }, groups.map((g) => h('code', null, g)));
}

// assetSummary shows a criticality and groups, or a dash.
export function assetSummary(asset) {
  if (!asset) return h('span', { class: 'muted', testid: 'asset-criticality-shown' }, '—');
  return h('span', { class: 'asset-summary' },
    levelBadge(asset.criticality, 'asset-criticality-shown'), ' ', groupChips(asset.groups));
}

// createAssetEditors returns the editing state of a page: edit(host, asset) opens
// (or reopens) the editor of a host, editor(host) is the open one or null, and
// button(host, asset) is the control that opens it and, for a host with an asset,
// the one that clears it. onSaved runs after a change, onError with a refused
// clear.
export function createAssetEditors(onSaved, onToggle, onError) {
  const open = new Map();
  const writable = can('assets:write');

  function close(host) {
    open.delete(host);
    onToggle();
  }

  function edit(host, asset) {
    if (open.has(host)) return;
    const msg = messageBox('asset-error');
    const crit = h('select', { class: 'input input-small', testid: 'asset-criticality' }, optionList(CRITICALITIES, levelName));
    crit.value = (asset && asset.criticality) || 'medium';
    const groups = h('input', { class: 'input input-small', type: 'text', testid: 'asset-groups', autocomplete: 'off', placeholder: 'prod, web' });
    groups.value = ((asset && asset.groups) || []).join(', ');
    const save = h('button', { type: 'submit', class: 'btn btn-primary btn-small', testid: 'asset-save' }, t('common.save'));
    const form = h('form', {
      class: 'inline-form asset-form', testid: 'asset-form', dataset: { host },
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          msg.clear();
          save.disabled = true;
          try {
            await api.put(`/api/v1/assets/${encodeURIComponent(host)}`, { criticality: crit.value, groups: splitGroups(groups.value) });
            open.delete(host);
            await onSaved(host);
          } catch (e) {
            msg.error(errorText(e));
          } finally {
            save.disabled = false;
          }
        },
      },
    },
    h('label', { class: 'inline-label' }, t('assets.criticality'), ' ', crit),
    h('label', { class: 'inline-label' }, t('assets.groups'), ' ', groups),
    save,
    h('button', { type: 'button', class: 'btn btn-small', testid: 'asset-cancel', on: { click: () => close(host) } }, t('common.cancel')),
    msg.el);
    open.set(host, form);
    onToggle();
    crit.focus();
  }

  // clear forgets the host's criticality and groups, once confirmed.
  async function clear(host, btn) {
    if (!(await confirmDialog(t('assets.confirmClear', { host }), t('assets.clear')))) return;
    btn.disabled = true;
    try {
      await api.del(`/api/v1/assets/${encodeURIComponent(host)}`);
      open.delete(host);
      await onSaved(host);
    } catch (e) {
      btn.disabled = false;
      onError(e);
    }
  }

  return {
    writable,
    isEditing: () => open.size > 0,
    editor: (host) => open.get(host) || null,
    button(host, asset) {
      if (!writable) return null;
      const editBtn = h('button', {
        type: 'button', class: 'btn btn-small btn-link', testid: 'asset-edit',
        on: { click: (ev) => { ev.stopPropagation(); edit(host, asset); } },
      }, asset ? t('assets.edit') : t('assets.set'));
      if (!asset) return editBtn;
      return [editBtn, ' ', h('button', {
        type: 'button', class: 'btn btn-small btn-link', testid: 'asset-clear',
        on: { click: (ev) => { ev.stopPropagation(); clear(host, ev.currentTarget); } },
      }, t('assets.clear'))];
    },
  };
}

// assetAddForm sets the criticality of any host by name; it is made once per page
// so that a redraw keeps what is typed in it.
export function assetAddForm(onSaved) {
  const msg = messageBox('asset-add-error');
  const host = h('input', { class: 'input', type: 'text', testid: 'asset-add-host', autocomplete: 'off', placeholder: 'web-1', required: true });
  const crit = h('select', { class: 'input', testid: 'asset-add-criticality' }, optionList(CRITICALITIES, levelName));
  crit.value = 'high';
  const groups = h('input', { class: 'input', type: 'text', testid: 'asset-add-groups', autocomplete: 'off', placeholder: 'prod, web' });
  const submit = h('button', { type: 'submit', class: 'btn', testid: 'asset-add-submit' }, t('assets.add'));
  return h('form', {
    class: 'form-grid asset-add', testid: 'asset-add-form',
    on: {
      submit: async (ev) => {
        ev.preventDefault();
        msg.clear();
        const name = host.value.trim();
        if (!name) return;
        submit.disabled = true;
        try {
          await api.put(`/api/v1/assets/${encodeURIComponent(name)}`, { criticality: crit.value, groups: splitGroups(groups.value) });
          host.value = '';
          groups.value = '';
          await onSaved(name);
        } catch (e) {
          msg.error(errorText(e));
        } finally {
          submit.disabled = false;
        }
      },
    },
  },
  field(t('assets.host'), host, t('assets.hostHint')), field(t('assets.criticality'), crit), field(t('assets.groups'), groups, t('assets.groupsHint')),
  h('div', { class: 'form-submit' }, submit), msg.el);
}

// otherHostsCard lists the assets of hosts without an agent and, for callers who
// may set them, the form for any host name (addForm, or null).
export function otherHostsCard(assets, agentHosts, editors, addForm) {
  const others = [...assets.values()].filter((a) => !agentHosts.has(a.host)).sort((a, b) => a.host.localeCompare(b.host));
  const rows = [];
  for (const a of others) {
    rows.push(h('tr', { testid: 'asset-row', dataset: { host: a.host, criticality: a.criticality } },
      h('td', { class: 'mono', testid: 'asset-host' }, a.host),
      h('td', null, assetSummary(a)),
      h('td', { class: 'nowrap' }, timeAgo(a.updated_at)),
      editors.writable ? h('td', { class: 'actions-cell' }, editors.button(a.host, a)) : null));
    const ed = editors.editor(a.host);
    if (ed) rows.push(h('tr', { class: 'edit-row' }, h('td', { colspan: editors.writable ? '4' : '3' }, ed)));
  }
  return card(t('assets.title'), 'assets-card',
    h('p', { class: 'muted' }, t('assets.intro')),
    others.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'assets-table' },
      h('thead', null, h('tr', null, [t('assets.host'), t('assets.criticality'), t('assets.updated'), editors.writable ? '' : null]
        .filter((x) => x !== null).map((x) => h('th', null, x)))),
      h('tbody', null, rows)))
      : h('p', { class: 'empty', testid: 'assets-empty' }, t('assets.empty')),
    addForm ? h('div', { class: 'add-box', testid: 'asset-add' }, h('h3', { class: 'sub-title' }, t('assets.addTitle')), addForm) : null);
}

// hostAssetFacts is the criticality line of a host's page.
export function hostAssetFacts(hostname, assets, editors) {
  if (!assets) return [];
  const a = assets.get(hostname);
  return [h('dt', null, t('assets.criticality')), h('dd', { testid: 'host-asset' },
    assetSummary(a), ' ', editors.button(hostname, a), editors.editor(hostname))];
}
