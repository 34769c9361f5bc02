// Rules: the live rules with their counters and on/off switches (ruletable.js),
// the uploaded rule files (rulefiles.js) and the false-positive exceptions
// (exceptions.js). A change reloads the rules and the files together, so the
// table shows what the engines run.
import { api } from './api.js';
import { t } from './i18n.js';
import { h, mount, card } from './dom.js';
import { can } from './session.js';
import { createRuleTable } from './ruletable.js';
import { createRuleFiles } from './rulefiles.js';
import { renderExceptions } from './exceptions.js';

export function renderRules(el, sub, query) {
  if (!can('alerts:read')) {
    mount(el, card(null, 'rules-no-permission', h('p', { class: 'empty' }, t('rules.noPermission'))));
    return undefined;
  }
  const table = createRuleTable(query || new URLSearchParams(), () => load());
  const files = createRuleFiles(() => load());
  const exceptions = h('div');

  async function load() {
    const [rules, custom] = await Promise.allSettled([api.get('/api/v1/rules'), api.get('/api/v1/rules/custom')]);
    if (!el.isConnected) return;
    table.update(rules.value, rules.status === 'rejected' ? rules.reason : null);
    files.update(custom.status === 'fulfilled' ? (custom.value && custom.value.items) : null, table.rules(),
      custom.status === 'rejected' ? custom.reason : null);
  }

  mount(el, table.el, files.el, exceptions);
  return Promise.all([load(), renderExceptions(exceptions)]);
}
