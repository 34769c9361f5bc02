// Settings → Users and Settings → API tokens.
import { api, errorText, withQuery } from './api.js';
import { t } from './i18n.js';
import { h, mount, card, badge, field, messageBox, secretBox, formatTime, confirmDialog } from './dom.js';
import { session, can, loadRoles } from './session.js';

function roleSelect(roles, value, testid) {
  const el = h('select', { class: 'input', testid }, roles.map((r) => h('option', { value: r.name }, r.name)));
  if (value) el.value = value;
  return el;
}

// pagedList loads a paginated collection into tbody, with a "load more"
// button while the server reports a next cursor.
function pagedList(path, rowFn, tbody, moreBox, msg) {
  let cursor = '';
  const more = h('button', { type: 'button', class: 'btn', testid: 'load-more', on: { click: () => load() } }, t('common.loadMore'));
  async function load(reset) {
    if (reset) { cursor = ''; mount(tbody); }
    try {
      const data = await api.get(withQuery(path, { limit: 100, cursor }));
      for (const item of (data && data.items) || []) tbody.appendChild(rowFn(item));
      cursor = (data && data.next_cursor) || '';
      mount(moreBox, cursor ? more : null);
      if (!tbody.firstChild) tbody.appendChild(h('tr', null, h('td', { class: 'empty', colspan: '99' }, t('common.none'))));
    } catch (e) {
      msg.error(errorText(e));
    }
  }
  return load;
}

// oneTime shows a secret exactly once, with its warning.
function oneTime(box, title, warning, value, testid) {
  mount(box, h('div', { class: 'msg msg-warning one-time', testid: `${testid}-box` },
    h('strong', null, title),
    h('p', null, warning),
    secretBox(value, testid),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-small', testid: `${testid}-dismiss`, on: { click: () => mount(box) } }, t('common.dismiss')))));
}

export async function renderUsers(el) {
  const msg = messageBox('users-error');
  const resultBox = h('div', { testid: 'users-result' });
  const tbody = h('tbody');
  const moreBox = h('div', { class: 'more' });
  let roles = [];
  try { roles = await loadRoles(); } catch (e) { msg.error(errorText(e)); }
  const writable = can('users:write');

  async function act(fn) {
    msg.clear();
    try { await fn(); } catch (e) { msg.error(errorText(e)); }
  }

  function row(u) {
    const self = session.me && u.id === session.me.id;
    const status = u.disabled ? badge(t('users.disabled'), 'bad')
      : (u.locked_until && new Date(u.locked_until) > new Date()) ? badge(t('users.locked'), 'warn') : badge(t('users.active'), 'ok');
    let roleCell = h('span', { class: 'mono' }, u.role);
    if (writable && !self) {
      const sel = roleSelect(roles, u.role, 'user-role');
      sel.addEventListener('change', () => act(async () => {
        await api.patch(`/api/v1/users/${u.id}`, { role: sel.value });
        msg.success(t('users.roleChanged', { username: u.username, role: sel.value }));
      }).then(() => reload()));
      roleCell = sel;
    }
    const actions = [];
    if (writable && !self) {
      actions.push(h('button', {
        type: 'button', class: 'btn btn-small', testid: u.disabled ? 'user-enable' : 'user-disable',
        on: {
          click: () => act(async () => {
            if (!u.disabled && !(await confirmDialog(t('users.confirmDisable', { username: u.username }), t('users.disable')))) return;
            await api.patch(`/api/v1/users/${u.id}`, { disabled: !u.disabled });
            await reload();
          }),
        },
      }, u.disabled ? t('users.enable') : t('users.disable')));
      actions.push(h('button', {
        type: 'button', class: 'btn btn-small', testid: 'user-reset',
        on: {
          click: () => act(async () => {
            if (!(await confirmDialog(t('users.confirmReset', { username: u.username }), t('users.reset')))) return;
            const res = await api.post(`/api/v1/users/${u.id}/reset-password`);
            oneTime(resultBox, t('users.resetDone', { username: u.username }), t('users.passwordWarning'), res.password, 'user-password');
            await reload();
          }),
        },
      }, t('users.reset')));
    }
    return h('tr', { testid: 'user-row', dataset: { username: u.username } },
      h('td', null, h('strong', null, u.username), self ? h('span', { class: 'muted' }, ` ${t('users.you')}`) : null),
      h('td', null, roleCell),
      h('td', null, status),
      h('td', null, u.totp_enabled ? badge(t('common.enabled'), 'ok') : badge(t('common.disabled'), '')),
      h('td', null, u.must_change_password ? t('common.yes') : t('common.no')),
      h('td', { class: 'nowrap' }, formatTime(u.created_at)),
      h('td', { class: 'actions-cell' }, actions));
  }

  const reload = pagedList('/api/v1/users', row, tbody, moreBox, msg).bind(null, true);

  const parts = [msg.el, resultBox];
  if (writable) parts.push(addUserCard(roles, resultBox, reload, msg));
  parts.push(card(t('settings.users'), 'users-card',
    h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'users-table' },
      h('thead', null, h('tr', null, [t('common.username'), t('common.role'), t('users.status'), t('users.totp'),
        t('users.mustChange'), t('common.created'), ''].map((x) => h('th', null, x)))),
      tbody)),
    moreBox));
  mount(el, ...parts);
  await reload();
}

function addUserCard(roles, resultBox, reload, pageMsg) {
  const msg = messageBox('user-add-error');
  const username = h('input', { class: 'input', required: true, testid: 'user-add-username', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const role = roleSelect(roles, 'viewer', 'user-add-role');
  const password = h('input', { class: 'input', type: 'password', testid: 'user-add-password', autocomplete: 'new-password' });
  const form = h('form', { class: 'form form-grid', testid: 'user-add-form', novalidate: true },
    field(t('common.username'), username),
    field(t('common.role'), role),
    field(t('users.password'), password, t('users.passwordHint')),
    h('div', { class: 'form-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', testid: 'user-add-submit' }, t('users.add'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.clear();
    pageMsg.clear();
    if (!username.value.trim()) { msg.error(t('users.usernameMissing')); return; }
    const body = { username: username.value.trim(), role: role.value };
    if (password.value) body.password = password.value;
    try {
      const res = await api.post('/api/v1/users', body);
      const name = (res && res.user && res.user.username) || body.username;
      if (res && res.password && !body.password) {
        oneTime(resultBox, t('users.created', { username: name }), t('users.passwordWarning'), res.password, 'user-password');
      } else {
        mount(resultBox, h('div', { class: 'msg msg-success' }, t('users.createdWithPassword', { username: name })));
      }
      form.reset();
      role.value = 'viewer';
      await reload();
    } catch (e) {
      msg.error(errorText(e));
    }
  });
  return card(t('users.addTitle'), 'user-add-card', msg.el, form);
}

function tokenStatus(tok) {
  if (tok.revoked_at) return badge(t('tokens.revoked'), 'bad');
  if (tok.expires_at && new Date(tok.expires_at) <= new Date()) return badge(t('tokens.expired'), 'warn');
  return badge(t('tokens.active'), 'ok');
}

export async function renderTokens(el) {
  const msg = messageBox('tokens-error');
  const resultBox = h('div', { testid: 'tokens-result' });
  const tbody = h('tbody');
  const moreBox = h('div', { class: 'more' });
  let roles = [];
  try { roles = await loadRoles(); } catch (e) { msg.error(errorText(e)); }
  const writable = can('tokens:write');

  function row(tok) {
    const revoke = writable && !tok.revoked_at ? h('button', {
      type: 'button', class: 'btn btn-small btn-danger', testid: 'token-revoke',
      on: {
        click: async () => {
          msg.clear();
          if (!(await confirmDialog(t('tokens.confirmRevoke', { name: tok.name }), t('tokens.revoke')))) return;
          try {
            await api.del(`/api/v1/tokens/${tok.id}`);
            msg.success(t('tokens.revokedDone', { name: tok.name }));
            await reload();
          } catch (e) {
            msg.error(errorText(e));
          }
        },
      },
    }, t('tokens.revoke')) : null;
    return h('tr', { testid: 'token-row', dataset: { name: tok.name } },
      h('td', null, h('strong', { testid: 'token-name' }, tok.name)),
      h('td', { class: 'mono' }, tok.prefix ? `${tok.prefix}…` : ''),
      h('td', { class: 'mono', testid: 'token-role' }, tok.role),
      h('td', null, tok.created_by || ''),
      h('td', { class: 'nowrap' }, formatTime(tok.created_at)),
      h('td', { class: 'nowrap' }, formatTime(tok.last_used)),
      h('td', { class: 'nowrap' }, tok.expires_at ? formatTime(tok.expires_at) : t('tokens.noExpiry')),
      h('td', { class: 'nowrap' }, tokenStatus(tok), tok.revoked_at ? h('div', { class: 'muted small' }, formatTime(tok.revoked_at)) : null),
      h('td', { class: 'actions-cell' }, revoke));
  }

  const reload = pagedList('/api/v1/tokens', row, tbody, moreBox, msg).bind(null, true);

  const parts = [msg.el, resultBox];
  if (writable) parts.push(createTokenCard(roles, resultBox, reload, msg));
  parts.push(card(t('settings.tokens'), 'tokens-card',
    h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'tokens-table' },
      h('thead', null, h('tr', null, [t('tokens.name'), t('tokens.prefix'), t('common.role'), t('tokens.createdBy'),
        t('common.created'), t('tokens.lastUsed'), t('tokens.expires'), t('tokens.status'), ''].map((x) => h('th', null, x)))),
      tbody)),
    moreBox));
  mount(el, ...parts);
  await reload();
}

function createTokenCard(roles, resultBox, reload, pageMsg) {
  const msg = messageBox('token-create-error');
  const name = h('input', { class: 'input', required: true, testid: 'token-name-input', autocomplete: 'off', spellcheck: 'false' });
  const role = roleSelect(roles, 'viewer', 'token-role-select');
  const days = h('input', { class: 'input', type: 'number', min: '1', max: '3650', step: '1', testid: 'token-expires-input' });
  const form = h('form', { class: 'form form-grid', testid: 'token-create-form', novalidate: true },
    field(t('tokens.name'), name),
    field(t('common.role'), role),
    field(t('tokens.expiresDays'), days, t('tokens.expiresHint')),
    h('div', { class: 'form-submit' }, h('button', { type: 'submit', class: 'btn btn-primary', testid: 'token-create-submit' }, t('tokens.create'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.clear();
    pageMsg.clear();
    if (!name.value.trim()) { msg.error(t('tokens.nameMissing')); return; }
    const body = { name: name.value.trim(), role: role.value };
    if (days.value) {
      const n = Number(days.value);
      if (!Number.isInteger(n) || n < 1) { msg.error(t('tokens.daysInvalid')); return; }
      body.expires_in_days = n;
    }
    try {
      const res = await api.post('/api/v1/tokens', body);
      oneTime(resultBox, t('tokens.created', { name: body.name }), t('tokens.secretWarning'), res.secret, 'token-secret');
      form.reset();
      role.value = 'viewer';
      await reload();
    } catch (e) {
      msg.error(errorText(e));
    }
  });
  return card(t('tokens.createTitle'), 'token-create-card', msg.el, form);
}
