// Sign-in, the second-factor step, the forced password change and TOTP
// enrolment (used both by the forced screen and by Settings → Security).
import { api, errorText } from './api.js';
import { t } from './i18n.js';
import { h, mount, field, messageBox, secretBox, copyText } from './dom.js';
import { session } from './session.js';

function input(attrs) {
  return h('input', { class: 'input', ...attrs });
}

function submitButton(label, testid) {
  return h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid }, label);
}

// busy disables a form's controls while a request runs.
async function busy(form, fn) {
  const controls = form.querySelectorAll('button, input, select');
  for (const c of controls) c.disabled = true;
  try {
    return await fn();
  } finally {
    for (const c of controls) c.disabled = false;
  }
}

// tooManyText explains a refused sign-in with the wait from the Retry-After
// header (seconds or an HTTP date).
function tooManyText(header) {
  let seconds = Number(header);
  if (header && !Number.isFinite(seconds)) {
    const at = Date.parse(header);
    seconds = Number.isNaN(at) ? 0 : Math.round((at - Date.now()) / 1000);
  }
  if (!header || !(seconds > 0)) return t('login.tooManyLater');
  if (seconds < 120) return t('login.tooManySeconds', { seconds });
  return t('login.tooManyMinutes', { minutes: Math.ceil(seconds / 60) });
}

// signInError shows a sign-in failure in the user's language; for rate limits
// and lockouts the server's own explanation follows as a detail line.
function signInError(e, msg, invalidText) {
  if (e.status === 429) {
    msg.error(tooManyText(e.retryAfter), e.message);
  } else if (e.status === 401) {
    msg.error(invalidText);
  } else {
    msg.error(errorText(e));
  }
}

export function renderLogin(el, { onSignedIn }) {
  const msg = messageBox('login-error');
  if (session.notice) msg.info(session.notice);
  const username = input({ name: 'username', autocomplete: 'username', required: true, testid: 'login-username', autocapitalize: 'none', spellcheck: 'false' });
  const password = input({ name: 'password', type: 'password', autocomplete: 'current-password', required: true, testid: 'login-password' });
  const form = h('form', { class: 'form', testid: 'login-form', id: 'login-form', novalidate: true },
    h('h1', { class: 'auth-title' }, t('login.title')),
    msg.el,
    field(t('login.username'), username),
    field(t('login.password'), password),
    submitButton(t('login.submit'), 'login-submit'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.clear();
    if (!username.value.trim() || !password.value) {
      msg.error(t('login.missing'));
      return;
    }
    try {
      const res = await busy(form, () => api.post('/auth/login', { username: username.value.trim(), password: password.value }));
      session.notice = '';
      if (res && res.status === 'totp_required') {
        renderTotpStep(el, { onSignedIn });
      } else {
        await onSignedIn(res && res.user);
      }
    } catch (e) {
      signInError(e, msg, t('login.invalid'));
      password.select();
    }
  });
  mount(el, form);
  username.focus();
}

function renderTotpStep(el, { onSignedIn }) {
  const msg = messageBox('totp-error');
  const code = input({ name: 'code', autocomplete: 'one-time-code', required: true, testid: 'totp-code', autocapitalize: 'none', spellcheck: 'false' });
  const form = h('form', { class: 'form', testid: 'totp-form', id: 'totp-form', novalidate: true },
    h('h1', { class: 'auth-title' }, t('totp.title')),
    h('p', { class: 'muted' }, t('totp.prompt')),
    msg.el,
    field(t('totp.code'), code),
    submitButton(t('totp.submit'), 'totp-submit'),
    h('button', {
      type: 'button', class: 'btn btn-link', testid: 'totp-back',
      on: { click: () => renderLogin(el, { onSignedIn }) },
    }, t('totp.back')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.clear();
    const value = code.value.replace(/\s+/g, '');
    if (!value) {
      msg.error(t('totp.missing'));
      return;
    }
    try {
      const res = await busy(form, () => api.post('/auth/totp', { code: value }));
      await onSignedIn(res && res.user);
    } catch (e) {
      signInError(e, msg, t('totp.invalid'));
      code.select();
    }
  });
  mount(el, form);
  code.focus();
}

// passwordForm is the change-password form, used forced and in Settings.
export function passwordForm({ onChanged, testid = 'pwchange' }) {
  const msg = messageBox(`${testid}-error`);
  const current = input({ type: 'password', autocomplete: 'current-password', required: true, testid: `${testid}-current` });
  const next = input({ type: 'password', autocomplete: 'new-password', required: true, testid: `${testid}-new` });
  const again = input({ type: 'password', autocomplete: 'new-password', required: true, testid: `${testid}-confirm` });
  // For password managers: the account the new password belongs to.
  const account = h('input', { type: 'text', class: 'offscreen', autocomplete: 'username', value: (session.me && session.me.username) || '', readOnly: true, tabindex: '-1', 'aria-hidden': 'true' });
  const form = h('form', { class: 'form', testid: `${testid}-form`, novalidate: true },
    msg.el,
    account,
    field(t('pwchange.current'), current),
    field(t('pwchange.new'), next, t('pwchange.hint')),
    field(t('pwchange.confirm'), again),
    h('button', { type: 'submit', class: 'btn btn-primary', testid: `${testid}-submit` }, t('pwchange.submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.clear();
    if (!current.value || !next.value) {
      msg.error(t('pwchange.missing'));
      return;
    }
    if (next.value !== again.value) {
      msg.error(t('pwchange.mismatch'));
      return;
    }
    try {
      await busy(form, () => api.post('/api/v1/me/password', { current_password: current.value, new_password: next.value }));
      form.reset();
      msg.success(t('pwchange.done'));
      await onChanged();
    } catch (e) {
      msg.error(errorText(e));
    }
  });
  return form;
}

export function renderPasswordChange(el, { onChanged, onLogout }) {
  mount(el, h('div', { testid: 'pwchange-view' },
    h('h1', { class: 'auth-title' }, t('pwchange.title')),
    h('p', { class: 'muted' }, t('pwchange.intro')),
    passwordForm({ onChanged }),
    h('button', { type: 'button', class: 'btn btn-link', testid: 'auth-logout', on: { click: onLogout } }, t('nav.logout'))));
}

// totpEnrollment starts an enrolment and walks the user through it. onFinished
// runs after the user acknowledged the recovery codes.
export function totpEnrollment({ onFinished, onCancel }) {
  const box = h('div', { class: 'enroll', testid: 'totp-enroll' });
  const msg = messageBox('totp-enroll-error');

  async function start() {
    mount(box, h('p', { class: 'muted' }, t('common.loading')));
    let data;
    try {
      data = await api.post('/api/v1/me/totp/enroll');
    } catch (e) {
      msg.error(errorText(e));
      mount(box, msg.el, h('button', { type: 'button', class: 'btn', on: { click: start } }, t('common.retry')));
      return;
    }
    showSecret(data);
  }

  function showSecret(data) {
    const code = input({ autocomplete: 'one-time-code', inputmode: 'numeric', required: true, testid: 'totp-confirm-code', maxlength: '10' });
    const form = h('form', { class: 'form', testid: 'totp-confirm-form', novalidate: true },
      msg.el,
      field(t('enroll.code'), code),
      h('div', { class: 'actions' },
        onCancel ? h('button', { type: 'button', class: 'btn', on: { click: onCancel } }, t('common.cancel')) : null,
        h('button', { type: 'submit', class: 'btn btn-primary', testid: 'totp-confirm-submit' }, t('enroll.confirm'))));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      msg.clear();
      const value = code.value.replace(/\s+/g, '');
      if (!/^\d{6,8}$/.test(value)) {
        msg.error(t('enroll.codeFormat'));
        return;
      }
      try {
        const res = await busy(form, () => api.post('/api/v1/me/totp/confirm', { code: value }));
        showRecoveryCodes((res && res.recovery_codes) || []);
      } catch (e) {
        msg.error(errorText(e));
        code.select();
      }
    });
    mount(box,
      h('ol', { class: 'steps' },
        h('li', null, t('enroll.step1')),
        h('li', null, t('enroll.step2')),
        h('li', null, t('enroll.step3'))),
      h('div', { class: 'enroll-grid' },
        h('img', { class: 'qr', testid: 'totp-qr', alt: t('enroll.qrAlt'), width: '200', height: '200', src: `data:image/png;base64,${data.qr_png_base64 || ''}` }),
        h('div', { class: 'enroll-secret' },
          h('div', { class: 'label' }, t('enroll.secret')),
          secretBox(data.secret || '', 'totp-secret'),
          h('p', { class: 'hint' }, t('enroll.secretHint')))),
      form);
    code.focus();
  }

  function showRecoveryCodes(codes) {
    const text = codes.join('\n');
    const status = h('span', { class: 'copy-status', 'aria-live': 'polite' });
    const blob = URL.createObjectURL(new Blob([text + '\n'], { type: 'text/plain' }));
    mount(box,
      h('div', { class: 'msg msg-warning', testid: 'recovery-warning' },
        h('strong', null, t('recovery.title')), ' ', t('recovery.warning')),
      h('ol', { class: 'recovery-codes', testid: 'recovery-codes' },
        codes.map((c) => h('li', null, h('code', { testid: 'recovery-code' }, c)))),
      h('div', { class: 'actions' },
        h('button', {
          type: 'button', class: 'btn', testid: 'recovery-copy',
          on: { click: async () => { status.textContent = (await copyText(text)) ? t('common.copied') : t('common.copyFailed'); } },
        }, t('recovery.copy')),
        h('a', { class: 'btn', href: blob, download: 'vigil-recovery-codes.txt', testid: 'recovery-download' }, t('recovery.download')),
        status,
        h('button', {
          type: 'button', class: 'btn btn-primary', testid: 'recovery-continue',
          on: { click: () => { URL.revokeObjectURL(blob); onFinished(); } },
        }, t('recovery.saved'))));
  }

  start();
  return box;
}

export function renderForcedTotp(el, { onDone, onLogout }) {
  mount(el, h('div', { testid: 'totp-forced-view', class: 'wide' },
    h('h1', { class: 'auth-title' }, t('enroll.forcedTitle')),
    h('p', { class: 'muted' }, t('enroll.forcedIntro')),
    totpEnrollment({ onFinished: onDone }),
    h('button', { type: 'button', class: 'btn btn-link', testid: 'auth-logout', on: { click: onLogout } }, t('nav.logout'))));
}
