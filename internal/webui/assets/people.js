// Choosing a person (an assignee, a task owner, an incident commander or team
// member): a list of the active users for callers who may read users, a text
// box for the others.
import { api } from './api.js';
import { t } from './i18n.js';
import { h } from './dom.js';
import { can } from './session.js';

// loadUsernames resolves to the active users' names, or null when the caller
// cannot read users (or the list fails: a text box still works).
export async function loadUsernames() {
  if (!can('users:read')) return null;
  try {
    const data = await api.get('/api/v1/users?limit=500');
    return ((data && data.items) || []).filter((u) => !u.disabled).map((u) => u.username).sort();
  } catch (_) {
    return null;
  }
}

// personInput returns a <select> of names (with a "nobody" choice when
// allowNone) or, without names, a text input. The control's value is the
// username ('' for nobody).
export function personInput(names, value, testid, allowNone = true) {
  if (!names) {
    return h('input', { class: 'input', type: 'text', testid, value: value || '', placeholder: t('people.usernamePlaceholder'), autocomplete: 'off' });
  }
  const list = value && !names.includes(value) ? [...names, value] : names;
  const el = h('select', { class: 'input', testid },
    allowNone ? h('option', { value: '' }, t('people.nobody')) : null,
    list.map((n) => h('option', { value: n }, n)));
  el.value = value || (allowNone ? '' : list[0] || '');
  return el;
}
