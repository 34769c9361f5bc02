// Settings: the section tabs, the profile (language) and security (password,
// TOTP, and for administrators the roles that require TOTP). Users and tokens are
// in admin.js, notifications in notify.js.
import { api, errorText } from './api.js';
import { t, currentLanguage, browserLanguage } from './i18n.js';
import { h, mount, card, badge, field, messageBox } from './dom.js';
import { session, can, loadMe, loadRoles, rerender, changeLanguage } from './session.js';
import { passwordForm, totpEnrollment } from './auth.js';
import { renderUsers, renderTokens } from './admin.js';
import { renderNotifications } from './notify.js';

function sections() {
  return [
    { id: 'profile', label: t('settings.profile'), render: renderProfile },
    { id: 'security', label: t('settings.security'), render: renderSecurity },
    can('users:read') ? { id: 'users', label: t('settings.users'), render: renderUsers } : null,
    can('tokens:read') ? { id: 'tokens', label: t('settings.tokens'), render: renderTokens } : null,
    can('settings:read') ? { id: 'notifications', label: t('settings.notifications'), render: renderNotifications } : null,
  ].filter(Boolean);
}

export function renderSettings(el, sub) {
  const list = sections();
  const current = list.find((s) => s.id === sub) || list[0];
  const tabs = h('nav', { class: 'tabs', testid: 'settings-tabs' },
    list.map((s) => h('a', {
      href: `#/settings/${s.id}`,
      class: ['tab', s.id === current.id ? 'active' : ''],
      testid: `settings-tab-${s.id}`,
      'aria-current': s.id === current.id ? 'page' : null,
    }, s.label)));
  const body = h('div', { class: 'settings-body', testid: `settings-${current.id}` });
  mount(el, tabs, body);
  current.render(body);
}

function renderProfile(el) {
  const me = session.me;
  const msg = messageBox('profile-msg');
  const select = h('select', { class: 'input', testid: 'profile-language' },
    h('option', { value: '' }, t('profile.browserDefault')),
    h('option', { value: 'en' }, t('lang.en')),
    h('option', { value: 'zh-CN' }, t('lang.zhCN')));
  select.value = me.language || '';
  select.addEventListener('change', async () => {
    msg.clear();
    select.disabled = true;
    try {
      await changeLanguage(select.value, browserLanguage());
    } catch (e) {
      select.disabled = false;
      select.value = me.language || '';
      msg.error(errorText(e));
    }
  });
  mount(el,
    card(t('profile.account'), 'profile-account',
      h('dl', { class: 'facts' },
        h('dt', null, t('common.username')), h('dd', { testid: 'profile-username' }, me.username),
        h('dt', null, t('common.role')), h('dd', { class: 'mono', testid: 'profile-role' }, me.role),
        h('dt', null, t('profile.currentLanguage')), h('dd', null, currentLanguage() === 'zh-CN' ? t('lang.zhCN') : t('lang.en')))),
    card(t('profile.language'), 'profile-language-card',
      msg.el,
      field(t('profile.languageLabel'), select, t('profile.languageHint'))));
}

async function reloadAndRender() {
  await loadMe();
  rerender();
}

async function passwordChanged() {
  await loadMe();
  if (!session.me) {
    session.notice = t('pwchange.signInAgain');
    rerender();
  }
}

function renderSecurity(el) {
  const me = session.me;
  const totpBody = h('div', { testid: 'security-totp' });
  const drawTotp = () => {
    if (me.totp_enabled) {
      mount(totpBody,
        h('p', null, badge(t('common.enabled'), 'ok'), ' ', t('security.totpOn')),
        me.totp_required ? h('p', { class: 'muted' }, t('security.totpRequiredNote')) : disableForm());
    } else {
      mount(totpBody,
        h('p', null, badge(t('common.disabled'), 'warn'), ' ', t('security.totpOff')),
        h('button', {
          type: 'button', class: 'btn btn-primary', testid: 'totp-enroll-start',
          on: { click: () => mount(totpBody, totpEnrollment({ onFinished: reloadAndRender, onCancel: drawTotp })) },
        }, t('security.totpSetup')));
    }
  };
  drawTotp();

  const parts = [
    card(t('security.totpTitle'), 'security-totp-card', totpBody),
    card(t('security.passwordTitle'), 'security-password-card',
      passwordForm({ testid: 'password', onChanged: passwordChanged })),
  ];
  if (can('settings:read')) parts.push(requirementCard());
  mount(el, ...parts);
}

function disableForm() {
  const msg = messageBox('totp-disable-error');
  const code = h('input', { class: 'input', autocomplete: 'one-time-code', required: true, testid: 'totp-disable-code' });
  const form = h('form', { class: 'form form-inline', testid: 'totp-disable-form', novalidate: true },
    msg.el,
    field(t('security.disableCode'), code),
    h('button', { type: 'submit', class: 'btn btn-danger', testid: 'totp-disable-submit' }, t('security.totpDisable')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.clear();
    try {
      await api.post('/api/v1/me/totp/disable', { code: code.value.replace(/\s+/g, '') });
      await reloadAndRender();
    } catch (e) {
      msg.error(errorText(e));
    }
  });
  return form;
}

// requirementCard lets an administrator choose the roles that must use TOTP.
function requirementCard() {
  const body = h('div', null, h('p', { class: 'muted' }, t('common.loading')));
  const msg = messageBox('totp-roles-msg');
  (async () => {
    try {
      const [roles, current] = await Promise.all([loadRoles(), api.get('/api/v1/settings/security')]);
      const required = new Set((current && current.totp_required_roles) || []);
      const writable = can('settings:write');
      const boxes = roles.map((r) => h('input', { type: 'checkbox', value: r.name, checked: required.has(r.name), disabled: !writable, testid: `totp-role-${r.name}` }));
      const form = h('form', { class: 'form', testid: 'totp-roles-form', novalidate: true },
        msg.el,
        h('div', { class: 'checks' }, roles.map((r, i) => h('label', { class: 'check' }, boxes[i], h('span', { class: 'mono' }, r.name)))),
        writable ? h('button', { type: 'submit', class: 'btn btn-primary', testid: 'totp-roles-save' }, t('common.save'))
          : h('p', { class: 'muted' }, t('security.readOnly')));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        msg.clear();
        const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
        try {
          await api.put('/api/v1/settings/security', { totp_required_roles: chosen });
          msg.success(t('common.saved'));
          const before = session.me.totp_required;
          await loadMe();
          if (session.me && session.me.totp_required !== before) rerender();
        } catch (e) {
          msg.error(errorText(e));
        }
      });
      mount(body, h('p', { class: 'muted' }, t('security.rolesIntro')), form);
    } catch (e) {
      msg.error(errorText(e));
      mount(body, msg.el);
    }
  })();
  return card(t('security.rolesTitle'), 'security-roles-card', body);
}
