// A paginated table of an API list (items + next_cursor), with refresh, "load more", an
// empty state and a permission check: the shape of the Ingestion view.
import { api, errorText, withQuery } from './api.js';
import { t } from './i18n.js';
import { h, mount, card } from './dom.js';
import { can } from './session.js';

const PAGE_SIZE = 50;

// renderPagedTable fills el. opts: id (prefix of the test ids), permission, path,
// texts {title, intro, empty, noPermission} already translated, columns (translated
// headers) and row (item → <tr>).
export function renderPagedTable(el, opts) {
  const id = opts.id;
  if (!can(opts.permission)) {
    mount(el, card(null, `${id}-no-permission`, h('p', { class: 'empty' }, opts.texts.noPermission)));
    return undefined;
  }
  const msg = opts.msg;
  const body = h('div', { testid: `${id}-list` }, h('p', { class: 'muted' }, t('common.loading')));
  let items = [];
  let cursor = '';

  const moreBtn = h('button', { type: 'button', class: 'btn', testid: `${id}-more`, on: { click: () => load(false) } }, t('common.loadMore'));
  const refreshBtn = h('button', { type: 'button', class: 'btn btn-small', testid: `${id}-refresh`, on: { click: () => load(true) } }, t('hosts.refresh'));

  function draw() {
    if (!items.length) {
      mount(body, h('p', { class: 'empty', testid: `${id}-empty` }, opts.texts.empty));
      return;
    }
    mount(body,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table table-top', testid: `${id}-table` },
        h('thead', null, h('tr', null, opts.columns.map((x) => h('th', null, x)))),
        h('tbody', null, items.map(opts.row)))),
      cursor ? h('div', { class: 'more' }, moreBtn) : null);
  }

  async function load(reset) {
    moreBtn.disabled = true;
    try {
      const data = await api.get(withQuery(opts.path, { limit: PAGE_SIZE, cursor: reset ? '' : cursor }));
      const page = (data && data.items) || [];
      items = reset ? page : items.concat(page);
      cursor = (data && data.next_cursor) || '';
      msg.clear();
      draw();
    } catch (e) {
      msg.error(errorText(e));
      if (reset && !items.length) mount(body);
    } finally {
      moreBtn.disabled = false;
    }
  }

  mount(el, msg.el, card(opts.texts.title, `${id}-card`,
    h('div', { class: 'toolbar' }, h('p', { class: 'muted' }, opts.texts.intro), refreshBtn),
    body));
  return load(true);
}
