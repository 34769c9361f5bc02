// The work on an incident: the response tasks grouped by phase, the team (the
// incident commander and members with their roles) and the comments (Markdown,
// with @mentions). Each card gets ctx = {incident, names, reload, report}: the
// incident view, the usernames to choose from (null: type a name), a function
// that reloads the page after a change, and one that shows an error.
import { api, errorText } from './api.js';
import { t, currentLanguage } from './i18n.js';
import { h, card, messageBox, field, formatTime, relativeTime, confirmDialog } from './dom.js';
import { can } from './session.js';
import { PHASES, MEMBER_ROLES, phaseName, memberRoleName, optionList } from './labels.js';
import { personInput } from './people.js';
import { renderMarkdown } from './markdown.js';

// Comment drafts survive the page being redrawn after another change.
const drafts = new Map();

// localInput turns a time into the value of a datetime-local input (local time).
function localInput(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// fromLocalInput is the inverse: an RFC 3339 time, or the zero time for an empty
// input (which clears a due time).
function fromLocalInput(value) {
  if (!value) return '0001-01-01T00:00:00Z';
  return new Date(value).toISOString();
}

async function change(ctx, fn) {
  try {
    await fn();
    await ctx.reload();
  } catch (e) {
    ctx.report(e);
  }
}

function taskTitle(task) {
  return currentLanguage() === 'zh-CN' && task.title_zh ? task.title_zh : task.title;
}

function dueNode(task) {
  if (!task.due) return h('span', { class: 'muted' }, t('tasks.noDue'));
  const late = task.status === 'open' && new Date(task.due).getTime() < Date.now();
  return h('span', { class: late ? 'overdue' : '', title: formatTime(task.due) }, relativeTime(task.due));
}

function taskItem(ctx, task, writable) {
  const v = ctx.incident;
  const path = `/api/v1/incidents/${v.id}/tasks/${task.id}`;
  const done = h('input', { type: 'checkbox', testid: 'task-done', checked: task.status === 'done', disabled: !writable, 'aria-label': t('tasks.markDone') });
  if (writable) {
    done.addEventListener('change', () => change(ctx, () => api.patch(path, { status: done.checked ? 'done' : 'open' })));
  }
  let owner;
  let due;
  let skip = null;
  if (writable) {
    owner = personInput(ctx.names, task.owner, 'task-owner');
    owner.classList.add('input-small');
    owner.setAttribute('aria-label', t('tasks.owner'));
    owner.addEventListener('change', () => change(ctx, () => api.patch(path, { owner: owner.value.trim() })));
    due = h('input', { type: 'datetime-local', class: 'input input-small', testid: 'task-due', value: localInput(task.due), 'aria-label': t('tasks.due') });
    due.addEventListener('change', () => change(ctx, () => api.patch(path, { due: fromLocalInput(due.value) })));
    skip = h('button', {
      type: 'button', class: 'btn btn-small btn-link', testid: 'task-skip',
      on: { click: () => change(ctx, () => api.patch(path, { status: task.status === 'skipped' ? 'open' : 'skipped' })) },
    }, task.status === 'skipped' ? t('tasks.unskip') : t('tasks.skip'));
  } else {
    owner = h('span', { testid: 'task-owner' }, task.owner || t('people.nobody'));
    due = null;
  }
  return h('li', { class: ['task', `task-${task.status}`], testid: 'task', dataset: { id: String(task.id), status: task.status, phase: task.phase } },
    h('label', { class: 'task-main' }, done, h('span', { class: 'task-title', testid: 'task-title' }, taskTitle(task))),
    h('div', { class: 'task-meta' },
      task.technique ? h('a', { href: `#/matrix/${task.technique}`, class: 'mono chip-link' }, task.technique) : h('span', { class: 'badge' }, t('tasks.manual')),
      task.action ? h('span', { class: 'badge mono', title: t('tasks.action') }, task.action) : null,
      task.status === 'skipped' ? h('span', { class: 'badge', testid: 'task-skipped' }, t('tasks.skipped')) : null,
      h('span', { class: 'task-field' }, t('tasks.owner'), ' ', owner),
      h('span', { class: 'task-field' }, t('tasks.due'), ' ', due || dueNode(task), due && task.due ? dueNode(task) : null),
      skip));
}

function addTaskForm(ctx) {
  const v = ctx.incident;
  const msg = messageBox('task-add-error');
  const title = h('input', { class: 'input', type: 'text', testid: 'task-add-title', autocomplete: 'off' });
  const phase = h('select', { class: 'input', testid: 'task-add-phase' }, optionList(PHASES, phaseName));
  const owner = personInput(ctx.names, '', 'task-add-owner');
  const due = h('input', { class: 'input', type: 'datetime-local', testid: 'task-add-due' });
  const submit = h('button', { type: 'submit', class: 'btn', testid: 'task-add-submit' }, t('tasks.add'));
  return h('form', {
    class: 'form-grid task-add', testid: 'task-add-form',
    on: {
      submit: async (ev) => {
        ev.preventDefault();
        msg.clear();
        submit.disabled = true;
        const body = { title: title.value, phase: phase.value, owner: owner.value.trim() };
        if (due.value) body.due = new Date(due.value).toISOString();
        try {
          await api.post(`/api/v1/incidents/${v.id}/tasks`, body);
          await ctx.reload();
        } catch (e) {
          msg.error(errorText(e));
        } finally {
          submit.disabled = false;
        }
      },
    },
  },
  field(t('tasks.taskTitle'), title), field(t('tasks.phase'), phase), field(t('tasks.owner'), owner), field(t('tasks.due'), due),
  h('div', { class: 'form-submit' }, submit), msg.el);
}

export function tasksCard(ctx) {
  const tasks = ctx.incident.tasks || [];
  const writable = can('incidents:write');
  const phases = [...PHASES, ...new Set(tasks.map((x) => x.phase).filter((p) => !PHASES.includes(p)))];
  const done = tasks.filter((x) => x.status !== 'open').length;
  return card(t('tasks.title'), 'incident-tasks',
    h('p', { class: 'muted', testid: 'tasks-progress' }, t('tasks.progress', { done, total: tasks.length })),
    tasks.length ? h('div', { class: 'phases' }, phases.filter((p) => tasks.some((x) => x.phase === p)).map((p) => {
      const list = tasks.filter((x) => x.phase === p);
      return h('section', { class: 'phase-group', testid: 'task-phase', dataset: { phase: p } },
        h('h3', { class: 'phase-title' }, phaseName(p), ' ', h('span', { class: 'muted small' }, `${list.filter((x) => x.status !== 'open').length}/${list.length}`)),
        h('ul', { class: 'task-list' }, list.map((x) => taskItem(ctx, x, writable))));
    })) : h('p', { class: 'empty' }, t('tasks.none')),
    writable ? h('details', { class: 'add-box', testid: 'task-add' }, h('summary', null, t('tasks.addTitle')), addTaskForm(ctx)) : null);
}

export function teamCard(ctx) {
  const v = ctx.incident;
  const writable = can('incidents:write');
  const members = v.members || [];
  const memberPath = (name) => `/api/v1/incidents/${v.id}/members/${encodeURIComponent(name)}`;
  let commanderRow;
  if (writable) {
    const sel = personInput(ctx.names, v.commander, 'commander-input');
    commanderRow = h('form', {
      class: 'inline-form', testid: 'commander-form',
      on: { submit: (ev) => { ev.preventDefault(); change(ctx, () => api.patch(`/api/v1/incidents/${v.id}`, { commander: sel.value.trim() })); } },
    }, sel, h('button', { type: 'submit', class: 'btn btn-small', testid: 'commander-save' }, t('common.save')));
  } else {
    commanderRow = h('span', { testid: 'team-commander' }, v.commander || t('people.nobody'));
  }
  const rows = members.map((m) => {
    let role = h('span', { testid: 'member-role' }, memberRoleName(m.role));
    let remove = null;
    if (writable) {
      role = h('select', { class: 'input input-small', testid: 'member-role', 'aria-label': t('team.role') }, optionList(MEMBER_ROLES, memberRoleName));
      role.value = m.role;
      role.addEventListener('change', () => change(ctx, () => api.put(memberPath(m.username), { role: role.value })));
      remove = h('button', {
        type: 'button', class: 'btn btn-small btn-danger', testid: 'member-remove',
        on: {
          click: async () => {
            if (!(await confirmDialog(t('team.confirmRemove', { username: m.username }), t('team.remove')))) return;
            change(ctx, () => api.del(memberPath(m.username)));
          },
        },
      }, t('team.remove'));
    }
    return h('tr', { testid: 'member', dataset: { username: m.username, role: m.role } },
      h('td', { testid: 'member-name' }, m.username), h('td', null, role), writable ? h('td', { class: 'actions-cell' }, remove) : null);
  });
  let addForm = null;
  if (writable) {
    const who = personInput(ctx.names, '', 'member-add-user', false);
    const role = h('select', { class: 'input', testid: 'member-add-role' }, optionList(MEMBER_ROLES, memberRoleName));
    role.value = 'responder';
    addForm = h('form', {
      class: 'inline-form', testid: 'member-add-form',
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const name = who.value.trim();
          if (name) change(ctx, () => api.put(memberPath(name), { role: role.value }));
        },
      },
    }, who, role, h('button', { type: 'submit', class: 'btn btn-small', testid: 'member-add-submit' }, t('team.add')));
  }
  return card(t('team.title'), 'incident-team',
    h('div', { class: 'field' }, h('span', { class: 'field-label' }, t('incidents.commander')), commanderRow),
    h('h3', { class: 'sub-title team-members-title' }, t('team.members')),
    rows.length ? h('table', { class: 'table', testid: 'team-members' }, h('tbody', null, rows)) : h('p', { class: 'empty', testid: 'team-empty' }, t('team.none')),
    addForm);
}

export function commentsCard(ctx) {
  const v = ctx.incident;
  const list = v.comments || [];
  let form = null;
  if (can('incidents:write')) {
    const msg = messageBox('comment-error');
    const text = h('textarea', { class: 'input', rows: '4', testid: 'comment-body', placeholder: t('comments.placeholder') });
    text.value = drafts.get(v.id) || '';
    text.addEventListener('input', () => drafts.set(v.id, text.value));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'comment-submit' }, t('comments.post'));
    form = h('form', {
      class: 'form', testid: 'comment-form',
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          msg.clear();
          submit.disabled = true;
          try {
            await api.post(`/api/v1/incidents/${v.id}/comments`, { body: text.value });
            drafts.delete(v.id);
            await ctx.reload();
          } catch (e) {
            msg.error(errorText(e));
          } finally {
            submit.disabled = false;
          }
        },
      },
    }, msg.el, text, h('div', { class: 'hint' }, t('comments.hint')), submit);
  }
  return card(t('comments.title'), 'incident-comments',
    list.length ? h('ol', { class: 'comments' }, list.map((c) => h('li', { class: 'comment', testid: 'comment', dataset: { id: String(c.id) } },
      h('div', { class: 'comment-meta' }, h('strong', { testid: 'comment-author' }, c.author), ' · ',
        h('span', { class: 'muted', title: formatTime(c.time) }, relativeTime(c.time))),
      h('div', { class: 'comment-body', testid: 'comment-text' }, renderMarkdown(c.body, c.mentions || [])))))
      : h('p', { class: 'empty', testid: 'comments-empty' }, t('comments.none')),
    form);
}
