// The incident response part of the console's end-to-end test: a real SSH brute
// force followed by a successful login is ingested, and the alert queue, the
// incident list and board, the incident page (attack path, tasks, comments,
// lifecycle), the false-positive exception and the dashboard's metrics are
// checked in the browser, with the timeline told in both languages from the
// entries' details. ui.test.mjs runs these steps in its signed-in session.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { until as untilAPI } from './poll.mjs';

// The positive case of the built-in correlation rule "SSH Brute Force Followed by a
// Successful Login" (the lines of the API tests): twelve failed passwords, then a
// login, from one address. The login also fires the rule for direct root logins
// from a public address; both alerts join one incident. The lines carry rsyslog's
// RFC 3339 timestamps from a few minutes ago: the detection engine's clock follows
// the newest event it has seen (the earlier steps sent one stamped now), and a
// correlation does not take events older than its window.
function bruteForceLog(now) {
  const start = now - 10 * 60_000;
  const at = (seconds) => new Date(start + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const lines = [];
  for (let i = 0; i < 12; i += 1) {
    lines.push(`${at(7 * i)} web-1 sshd[${2100 + i}]: Failed password for root from 203.0.113.5 port ${52100 + 2 * i} ssh2`);
  }
  lines.push(`${at(129)} web-1 sshd[2300]: Accepted password for root from 203.0.113.5 port 53000 ssh2`);
  return `${lines.join('\n')}\n`;
}
const BRUTE_FORCE_RULE = 'ebaeacae-f0d0-4ea2-9bf0-123c75cc5d6f';
const PHASES = ['confirm', 'contain', 'investigate', 'eradicate', 'recover'];

// incidentSteps registers the steps. ctx: step, page, byId, waitForText,
// callAPI, timeoutMs, and getters for the ingest token (ingestToken) and a
// token that may read alerts and incidents (readToken).
export async function incidentSteps(ctx) {
  const { step, page, byId, waitForText, callAPI, timeoutMs } = ctx;
  const read = (route) => callAPI('GET', route, ctx.readToken());
  let incidentId = 0;
  let incident = null; // the incident as the API shows it, refreshed by steps

  const until = (what, fn) => untilAPI(what, fn, timeoutMs);
  const catalog = (lang) => readFile(new URL(`../internal/webui/assets/i18n/${lang}.json`, import.meta.url), 'utf8').then(JSON.parse);
  const en = await catalog('en');
  const zh = await catalog('zh-CN');
  const fill = (text, params) => text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  // The timeline's text of the entries of a kind, in order.
  const timelineTexts = (kind) => page.locator(`[data-testid="timeline-entry"][data-kind="${kind}"] [data-testid="timeline-text"]`).allInnerTexts();

  // told is the sentence a timeline entry of the API should read as in a catalog,
  // made from the entry's detail alone (and the incident's task titles in
  // Chinese), or null for the kinds it does not cover.
  function told(cat, e) {
    const d = JSON.parse(e.detail || '{}');
    const level = (l) => cat[`alerts.level${l[0].toUpperCase()}${l.slice(1)}`];
    switch (e.kind) {
      case 'created':
        return fill(cat['timeline.openedFromAlert'], { rule: d.rule_title });
      case 'severity':
        return fill(cat[d.manual ? 'timeline.severityManual' : 'timeline.severity'], { from: level(d.from), to: level(d.to) });
      case 'status':
        return fill(cat['timeline.status'], { from: cat[`status.${d.from}`], to: cat[`status.${d.to}`] });
      case 'member':
        if (d.role === 'commander') return fill(cat['timeline.commander'], { user: d.username });
        return fill(cat['timeline.member'], { user: d.username, role: cat[`team.role${d.role[0].toUpperCase()}${d.role.slice(1)}`] });
      case 'alert':
        if ('status' in d) {
          const key = { open: 'open', acknowledged: 'acknowledged', false_positive: 'falsePositive', closed: 'closed' }[d.status];
          return fill(cat['timeline.alertStatus'], { id: d.alert, status: cat[`alertStatus.${key}`] });
        }
        if (d.moved_out) return fill(cat['timeline.alertMovedOut'], { id: d.alert });
        return null;
      case 'comment':
        return fill(cat['timeline.commented'], { user: d.author });
      case 'task': {
        const task = incident.tasks.find((x) => x.id === d.task);
        const title = cat === zh && task.title_zh && task.title === d.title ? task.title_zh : d.title;
        if (d.added) return fill(cat['timeline.taskAdded'], { title });
        const changes = [];
        if ('status' in d) changes.push(cat[{ open: 'timeline.taskOpen', done: 'timeline.taskDone', skipped: 'timeline.taskSkipped' }[d.status]]);
        if ('owner' in d) changes.push(d.owner ? fill(cat['timeline.taskOwner'], { user: d.owner }) : cat['timeline.taskNoOwner']);
        return fill(cat['timeline.taskChanged'], { title, changes: changes.join(cat['timeline.listSeparator']) });
      }
      default:
        return null;
    }
  }

  // checkTimeline compares every entry of the kinds told() covers with the page,
  // which keeps the server's sentence as the entry's tooltip, and checks that no
  // entry (all have their facts) is left in the server's English and that there
  // were entries of each of the kinds named.
  async function checkTimeline(cat, kindsWanted) {
    await loadIncident();
    const shown = new Map(await page.locator('[data-testid="timeline-entry"]').evaluateAll((els) => els.map((el) => {
      const text = el.querySelector('[data-testid="timeline-text"]');
      return [el.dataset.id, { translated: el.dataset.translated, text: text.textContent.trim(), title: text.title }];
    })));
    assert.equal(shown.size, incident.timeline.length, 'the page shows the incident\'s whole timeline');
    const kinds = new Set();
    for (const e of incident.timeline) {
      const got = shown.get(String(e.id));
      assert.ok(got, `timeline entry ${e.id} (${e.kind}) is shown`);
      assert.equal(got.translated, 'true', `entry ${e.id} is told from its detail: ${e.kind} ${e.detail} shown as ${got.text}`);
      assert.equal(got.title, e.text, `entry ${e.id} keeps the server's sentence as its tooltip`);
      const want = told(cat, e);
      if (want !== null) {
        assert.equal(got.text, want, `entry ${e.id} (${e.kind} ${e.detail})`);
        kinds.add(e.kind);
      }
    }
    for (const k of kindsWanted) assert.ok(kinds.has(k), `the timeline has ${k} entries to compare`);
  }

  async function loadIncident() {
    const res = await read(`api/v1/incidents/${incidentId}`);
    assert.equal(res.status, 200, JSON.stringify(res.data));
    incident = res.data;
    return incident;
  }

  const text = async (locator) => (await locator.first().innerText()).trim();
  const textOfId = (id) => text(byId(id));
  const bruteRow = () => page.locator(`[data-testid="alert-row"][data-rule="${BRUTE_FORCE_RULE}"]`);
  const pageStatus = (status) => page.locator(`[data-testid="incident-page"][data-status="${status}"]`).waitFor();

  await step('an SSH brute force followed by a successful login is ingested and opens an incident', async () => {
    const res = await callAPI('POST', 'api/v1/ingest', ctx.ingestToken(), bruteForceLog(Date.now()), 'text/plain');
    assert.equal(res.status, 200, JSON.stringify(res.data));
    assert.equal(res.data.accepted, 13);
    assert.equal(res.data.rejected, 0);
    const alert = await until('the brute-force alert in an incident', async () => {
      const r = await read(`api/v1/alerts?rule=${BRUTE_FORCE_RULE}`);
      const ok = r.status === 200 && r.data.items.length === 1 && r.data.items[0].incident_id > 0;
      return [ok, ok ? r.data.items[0] : null, r];
    });
    incidentId = alert.incident_id;
    await loadIncident();
    assert.equal(incident.alert_count, 2, 'the brute force and the root login share the incident');
  });

  await step('the alert queue lists the alerts with level, techniques, host, count, status and incident', async () => {
    await byId('nav-alerts').click();
    const row = bruteRow();
    await row.waitFor();
    assert.equal(await text(row.locator('[data-testid="alert-level"]')), 'High');
    assert.equal(await text(row.locator('[data-testid="alert-title"]')), 'SSH Brute Force Followed by a Successful Login');
    assert.match(await text(row.locator('[data-testid="alert-techniques"]')), /CS-IA-03/);
    assert.equal(await text(row.locator('[data-testid="alert-host"]')), 'web-1');
    assert.equal(await text(row.locator('[data-testid="alert-count"]')), '1');
    assert.equal(await text(row.locator('[data-testid="alert-status"]')), 'Open');
    assert.equal(await text(row.locator('[data-testid="alert-incident"]')), `#${incidentId}`);
    assert.ok(await byId('alert-row').count() >= 2, 'the root login alert is listed too');
  });

  await step('the queue\'s filters are the query of the page and of the API', async () => {
    await byId('alerts-filter-level').selectOption('high');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="alert-row"]')];
      return location.hash.includes('level=high') && rows.length > 0 &&
        rows.every((r) => r.querySelector('[data-testid="alert-level"] .badge').dataset.value === 'high');
    });
    await bruteRow().waitFor();
    await byId('alerts-filter-host').fill('no-such-host');
    await byId('alerts-filter-apply').click();
    await byId('alerts-empty').waitFor();
    assert.match(page.url(), /host=no-such-host/);
    await byId('alerts-filter-reset').click();
    await bruteRow().waitFor();
    assert.equal(await byId('alerts-filter-level').inputValue(), '');
  });

  await step('bulk actions acknowledge all alerts and assign one', async () => {
    await byId('alerts-bulk').waitFor();
    const rows = await byId('alert-row').count();
    await byId('alerts-select-all').check();
    await waitForText('alerts-selected', `${rows} selected`);
    await byId('alerts-bulk-acknowledge').click();
    await page.waitForFunction(() => {
      const list = [...document.querySelectorAll('[data-testid="alert-row"]')];
      return list.length > 0 && list.every((r) => r.dataset.status === 'acknowledged');
    });
    assert.equal(await textOfId('alerts-msg'), `Alerts changed: ${rows}.`);
    assert.equal(await text(bruteRow().locator('[data-testid="alert-status"]')), 'Acknowledged');

    await waitForText('alerts-selected', '0 selected');
    await bruteRow().locator('[data-testid="alert-select"]').check();
    await byId('alerts-bulk-assignee').selectOption('admin');
    await byId('alerts-bulk-assign').click();
    await page.locator(`[data-testid="alert-row"][data-rule="${BRUTE_FORCE_RULE}"] [data-testid="alert-assignee"]:text-is("admin")`).waitFor();
  });

  await step('the incident is on the list with severity, status, entities, techniques, alerts and SLA', async () => {
    await byId('nav-incidents').click();
    const row = page.locator(`[data-testid="incident-row"][data-id="${incidentId}"]`);
    await row.waitFor();
    assert.equal(await text(row.locator('[data-testid="incident-title"]')), incident.title);
    assert.equal(await row.locator('[data-testid="incident-severity"]').getAttribute('data-value'), incident.severity);
    assert.equal(await text(row.locator('[data-testid="incident-status"]')), 'New');
    const entities = await text(row.locator('[data-testid="incident-entities"]'));
    for (const want of ['web-1', '203.0.113.5', 'root@web-1']) assert.ok(entities.includes(want), `the entities show ${want}`);
    assert.match(await text(row.locator('[data-testid="incident-techniques"]')), /CS-IA-03/);
    assert.equal(await text(row.locator('[data-testid="incident-alert-count"]')), '2');
    assert.match(await text(row.locator('[data-testid="sla-ack"]')), /^Acknowledge /);
    assert.match(await text(row.locator('[data-testid="sla-contain"]')), /^Contain /);
  });

  await step('the board shows the incident in the column of its status', async () => {
    await byId('incidents-view-board').click();
    const card = page.locator(`[data-testid="board-column"][data-status="new"] [data-testid="incident-card"][data-id="${incidentId}"]`);
    await card.waitFor();
    assert.equal(await byId('board-column').count(), 7, 'one column per lifecycle status');
    assert.deepEqual(await byId('board-column').evaluateAll((cols) => cols.map((c) => c.dataset.status)),
      ['new', 'triage', 'investigating', 'contained', 'eradicated', 'recovered', 'closed']);
    assert.match(page.url(), /view=board/);
    await card.locator('[data-testid="incident-link"]').click();
    await byId('attack-path').waitFor();
    assert.ok(page.url().endsWith(`#/incidents/${incidentId}`));
  });

  await step('the incident page shows the attack path, the alerts along it and the tasks by phase', async () => {
    const tactics = await byId('path-step').evaluateAll((steps) => steps.map((s) => s.dataset.tactic));
    assert.deepEqual(tactics, incident.attack_path.map((s) => s.tactic));
    assert.equal(tactics[0], 'IA', 'the path starts with initial access');
    assert.equal(await text(byId('path-tactic-name')), 'Initial access');
    const alertIds = await byId('incident-alert-row').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id)));
    assert.deepEqual(alertIds, incident.alerts.map((a) => a.id), 'alerts in attack-path order');
    assert.equal(await byId('task').count(), incident.tasks.length);
    assert.ok(incident.tasks.length >= 5);
    const phases = await byId('task-phase').evaluateAll((groups) => groups.map((g) => g.dataset.phase));
    assert.deepEqual(phases, PHASES.filter((p) => incident.tasks.some((x) => x.phase === p)));
    assert.equal(await text(byId('incident-head-status')), 'New');
  });

  await step('a task is marked done', async () => {
    const first = page.locator('[data-testid="task-phase"][data-phase="confirm"] [data-testid="task"]').first();
    const id = await first.getAttribute('data-id');
    await first.locator('[data-testid="task-done"]').check();
    await page.locator(`[data-testid="task"][data-id="${id}"][data-status="done"]`).waitFor();
    await waitForText('tasks-progress', `1 of ${incident.tasks.length} done or skipped.`);
    await loadIncident();
    assert.equal(incident.tasks.find((x) => String(x.id) === id).status, 'done');
    assert.ok(await page.locator('[data-testid="timeline-entry"][data-kind="task"]').count() >= 1);
  });

  await step('a Markdown comment renders bold, lists and the @mention, and shows HTML as text', async () => {
    const body = 'Blocked **203.0.113.5** at the firewall; *please* check `sshd_config`, @admin.\n' +
      '- lock root\n- rotate the keys\n\n' +
      '<script>window.__vigilInjected = true</script><img src="x" onerror="window.__vigilInjected = true">';
    await byId('comment-body').fill(body);
    await byId('comment-submit').click();
    const comment = byId('comment').last();
    await comment.waitFor();
    const text0 = comment.locator('[data-testid="comment-text"]');
    assert.equal(await text(text0.locator('strong')), '203.0.113.5');
    assert.equal(await text(text0.locator('em')), 'please');
    assert.equal(await text(text0.locator('code')), 'sshd_config');
    assert.equal(await text(text0.locator('[data-testid="mention"]')), '@admin');
    assert.equal(await text0.locator('li').count(), 2);
    assert.match(await text0.innerText(), /<script>window\.__vigilInjected = true<\/script><img src="x"/);
    assert.equal(await text0.locator('script, img, a').count(), 0, 'no element comes from the comment\'s HTML');
    assert.equal(await page.evaluate(() => window.__vigilInjected), undefined);
    assert.equal(await text(comment.locator('[data-testid="comment-author"]')), 'admin');
    // The mention made admin a watcher.
    await page.locator('[data-testid="member"][data-username="admin"][data-role="watcher"]').waitFor();
  });

  let addedTask = '';
  await step('the commander, a member\'s role, a task\'s owner and a new task are set', async () => {
    const entries = () => page.locator('[data-testid="timeline-entry"]').count();
    // Each change reloads the page, with one more timeline entry.
    const changed = async (before) => page.waitForFunction((n) => document.querySelectorAll('[data-testid="timeline-entry"]').length > n, before);
    let n = await entries();
    await byId('commander-input').selectOption('admin');
    await byId('commander-save').click();
    await changed(n);
    await waitForText('incident-commander', 'admin');

    n = await entries();
    await page.locator('[data-testid="member"][data-username="admin"] [data-testid="member-role"]').selectOption('responder');
    await changed(n);
    await page.locator('[data-testid="member"][data-username="admin"][data-role="responder"]').waitFor();

    n = await entries();
    const done = page.locator('[data-testid="task"][data-status="done"]').first();
    const doneId = await done.getAttribute('data-id');
    await done.locator('[data-testid="task-owner"]').selectOption('admin');
    await changed(n);
    await loadIncident();
    assert.equal(incident.tasks.find((x) => String(x.id) === doneId).owner, 'admin');

    addedTask = 'Check the jump host\'s authorized_keys';
    await page.locator('[data-testid="task-add"] summary').click();
    await byId('task-add-title').fill(addedTask);
    await byId('task-add-phase').selectOption('investigate');
    await byId('task-add-submit').click();
    await page.locator(`[data-testid="task-phase"][data-phase="investigate"] [data-testid="task-title"]:text-is("${addedTask}")`).waitFor();
  });

  await step('the timeline tells every entry from its detail, the server\'s sentence as its tooltip', async () => {
    await checkTimeline(en, ['created', 'member', 'task', 'alert', 'comment']);
    const texts = (await timelineTexts('member')).map((s) => s.trim());
    assert.ok(texts.includes('Incident commander: admin'), `member entries: ${texts}`);
    assert.ok(texts.includes('admin joined the team as Responder'), `member entries: ${texts}`);
    assert.ok((await timelineTexts('task')).map((s) => s.trim()).includes(`Task added: ${addedTask}`));
    assert.ok((await timelineTexts('created')).every((s) => s.startsWith('Opened from the alert ')));
  });

  await step('entries are told from their facts, not their sentences; older entries without them keep the server\'s text', async () => {
    const got = await page.evaluate(async () => {
      const tl = await import('/assets/timeline.js');
      const { formatTime } = await import('/assets/dom.js');
      const v = { tasks: [], alerts: [], comments: [] };
      // The sentences are deliberately not the server's: only the details count.
      const say = (kind, detail) => tl.entryText({ kind, text: 'a sentence the console does not read', detail: JSON.stringify(detail) }, v);
      const due = '2026-03-04T05:06:07Z';
      const told = {
        manual: say('created', { manual: true, alerts: [3, 4] }),
        manualEmpty: say('created', { manual: true, alerts: null }),
        mergedInto: say('status', { to: 'closed', resolution: 'duplicate', merged_into: 7 }),
        closed: say('status', { from: 'recovered', to: 'closed', resolution: 'benign' }),
        rose: say('severity', { from: 'medium', to: 'high', manual: false }),
        set: say('severity', { from: 'high', to: 'low', manual: true }),
        left: say('member', { username: 'bob', role: '' }),
        noCommander: say('member', { username: '', role: 'commander' }),
        analyst: say('member', { username: 'bob', role: 'analyst' }),
        task: say('task', { task: 9, title: 'Rotate the keys', status: 'skipped', owner: '', due: '0001-01-01T00:00:00Z', old_title: 'Rotate' }),
        taskDue: say('task', { task: 9, title: 'Rotate the keys', due }),
        added: say('task', { task: 9, title: 'Rotate the keys', added: true, phase: 'contain', owner: '', due: '0001-01-01T00:00:00Z' }),
        sla: say('sla_breach', { sla: 'contain', due }),
        merge: say('merge', { incident: 5 }),
        split: say('split', { incident: 9, alerts: [1, 2] }),
        falsePositive: say('alert', { alert: 12, exception: 3 }),
      };
      // Entries written before the server recorded their facts.
      const old = (kind, text, detail) => tl.entryText({ kind, text, detail: detail ? JSON.stringify(detail) : undefined }, v);
      const older = [
        old('created', 'Opened by hand'),
        old('severity', 'Severity low → high'),
        old('member', 'bob is analyst'),
        old('member', 'Incident commander: bob'),
        old('task', 'Task added: Rotate the keys', { task: 9 }),
        old('sla_breach', 'SLA missed: not acknowledged by 2026-03-04T05:06:07Z', { sla: 'acknowledge' }),
        old('merge', 'Incident 5 merged in'),
        old('split', '2 alerts split off into incident 9'),
        old('status', 'Merged into incident 7'),
      ];
      // Drawn, an older entry reads as the server wrote it, without a tooltip.
      const card = tl.timelineCard({ timeline: [{ id: 1, time: due, actor: 'system', kind: 'merge', text: 'Incident 5 merged in' }] });
      const entry = card.querySelector('[data-testid="timeline-entry"]');
      const text = entry.querySelector('[data-testid="timeline-text"]');
      return { told, older, dueShown: formatTime(due), drawn: { translated: entry.dataset.translated, text: text.textContent, title: text.getAttribute('title') } };
    });
    const { told: s, dueShown } = got;
    assert.equal(s.manual, 'Opened by hand with alerts 3, 4');
    assert.equal(s.manualEmpty, 'Opened by hand');
    assert.equal(s.mergedInto, 'Merged into incident 7');
    assert.equal(s.closed, 'Closed from Recovered as Benign');
    assert.equal(s.rose, 'Severity rose from Medium to High');
    assert.equal(s.set, 'Severity set from High to Low');
    assert.equal(s.left, 'bob left the team');
    assert.equal(s.noCommander, 'No incident commander');
    assert.equal(s.analyst, 'bob joined the team as Analyst');
    assert.equal(s.task, 'Task “Rotate the keys”: skipped, no owner, no due time, renamed from “Rotate”');
    assert.equal(s.taskDue, `Task “Rotate the keys”: due ${dueShown}`);
    assert.equal(s.added, 'Task added: Rotate the keys');
    assert.equal(s.sla, `SLA missed: not contained by ${dueShown}`);
    assert.equal(s.merge, 'Incident 5 merged into this one');
    assert.equal(s.split, '2 alerts split off into incident 9');
    assert.equal(s.falsePositive, 'Alert 12 marked a false positive; exception 3 created');
    assert.deepEqual(got.older, got.older.map(() => null), 'entries without their facts are not told again');
    assert.deepEqual(got.drawn, { translated: 'false', text: 'Incident 5 merged in', title: null });
  });

  await step('the comment renderer handles its Markdown subset and nothing more', async () => {
    const got = await page.evaluate(async () => {
      const md = await import('/assets/markdown.js');
      const cases = {
        inline: md.parseMarkdown('**b** *i* `c`'),
        html: md.parseMarkdown('<b onclick="x()">hi</b>'),
        link: md.parseMarkdown('[x](javascript:alert(1)) <https://example.com>'),
        fence: md.parseMarkdown('```js\n<script>alert(1)</script>\n**not bold**\n```'),
        list: md.parseMarkdown('* one\n- two'),
        breaks: md.parseMarkdown('a\nb\n\nc'),
        stars: md.parseMarkdown('2 * 3 * 4 and **open'),
        mentions: md.parseMarkdown('mail a@b.c, ping @bob and @carol.', ['bob']),
      };
      const el = md.renderMarkdown('<img src=x onerror=alert(1)> **x**');
      cases.dom = { tags: [...el.querySelectorAll('*')].map((n) => n.tagName), text: el.textContent };
      return cases;
    });
    const txt = (s) => ({ type: 'text', text: s });
    assert.deepEqual(got.inline, [{ type: 'p', lines: [[
      { type: 'strong', children: [txt('b')] }, txt(' '), { type: 'em', children: [txt('i')] }, txt(' '), { type: 'code', text: 'c' }]] }]);
    assert.deepEqual(got.html, [{ type: 'p', lines: [[txt('<b onclick="x()">hi</b>')]] }]);
    assert.deepEqual(got.link, [{ type: 'p', lines: [[txt('[x](javascript:alert(1)) <https://example.com>')]] }]);
    assert.deepEqual(got.fence, [{ type: 'pre', text: '<script>alert(1)</script>\n**not bold**' }]);
    assert.deepEqual(got.list, [{ type: 'ul', items: [[txt('one')], [txt('two')]] }]);
    assert.deepEqual(got.breaks, [{ type: 'p', lines: [[txt('a')], [txt('b')]] }, { type: 'p', lines: [[txt('c')]] }]);
    assert.deepEqual(got.stars, [{ type: 'p', lines: [[txt('2 * 3 * 4 and **open')]] }]);
    assert.deepEqual(got.mentions, [{ type: 'p', lines: [[txt('mail a@b.c, ping '), { type: 'mention', name: 'bob' }, txt(' and @carol.')]] }]);
    assert.deepEqual(got.dom, { tags: ['P', 'STRONG'], text: '<img src=x onerror=alert(1)> x' });
  });

  await step('the incident moves from new to triage to investigating', async () => {
    await byId('status-to-triage').click();
    await pageStatus('triage');
    assert.equal(await text(byId('incident-head-status')), 'Triage');
    await byId('status-to-investigating').click();
    await pageStatus('investigating');
    assert.equal(await text(byId('incident-head-status')), 'Investigating');
    assert.ok(await byId('status-to-contained').isVisible());
    assert.equal(await byId('status-to-triage').count(), 0, 'only the allowed transitions are offered');
    await loadIncident();
    assert.equal(incident.status, 'investigating');
    assert.ok(incident.metrics.time_to_acknowledge !== undefined, 'leaving new acknowledged the incident');
    assert.notEqual(await text(byId('metric-tta')), '—');
    // The server's English timeline entries are told again from the catalog.
    const statuses = (await timelineTexts('status')).map((s) => s.trim());
    assert.ok(statuses.includes('Status: New → Triage'), `status entries: ${statuses}`);
    assert.ok(statuses.includes('Status: Triage → Investigating'), `status entries: ${statuses}`);
  });

  await step('closing without a summary is refused with the server\'s message', async () => {
    await byId('status-to-closed').click();
    await byId('close-form').waitFor();
    await byId('close-resolution').selectOption('true_positive');
    await byId('close-submit').click();
    await byId('incident-status-error').waitFor();
    assert.match(await text(byId('incident-status-error')), /closing needs a summary/);
    await loadIncident();
    assert.equal(incident.status, 'investigating');
    await byId('close-cancel').click();
    await byId('close-form').waitFor({ state: 'detached' });
  });

  await step('the incident page renders in Simplified Chinese', async () => {
    await byId('lang-select').selectOption('zh-CN');
    await page.locator('[data-testid="attack-path-card"] .card-title:text-is("攻击路径")').waitFor();
    await page.locator('[data-testid="incident-tasks"] .card-title:text-is("响应任务")').waitFor();
    await waitForText('incident-head-status', '调查中');
    assert.equal(await text(byId('path-tactic-name')), incident.attack_path[0].name_zh);
    // Timeline entries in Chinese: a status change, the alerts that joined, the task done.
    const status = fill(zh['timeline.status'], { from: zh['status.triage'], to: zh['status.investigating'] });
    assert.ok((await timelineTexts('status')).map((s) => s.trim()).includes(status), `a status entry reads ${status}`);
    const brute = incident.alerts.find((a) => a.rule_id === BRUTE_FORCE_RULE);
    const joined = fill(zh['timeline.alertAdded'], { id: brute.id, rule: brute.rule_title, level: zh['alerts.levelHigh'] });
    assert.ok((await timelineTexts('alert')).map((s) => s.trim()).includes(joined), `an alert entry reads ${joined}`);
    const done = incident.tasks.find((x) => x.status === 'done');
    const task = fill(zh['timeline.taskChanged'], { title: done.title_zh || done.title, changes: zh['timeline.taskDone'] });
    assert.ok((await timelineTexts('task')).map((s) => s.trim()).includes(task), `a task entry reads ${task}`);
    const commander = fill(zh['timeline.commander'], { user: 'admin' });
    assert.ok((await timelineTexts('member')).map((s) => s.trim()).includes(commander), `a member entry reads ${commander}`);
    // Every entry, from its detail, with the server's English as its tooltip.
    await checkTimeline(zh, ['created', 'member', 'task', 'status', 'alert', 'comment']);
    // The facts told in Chinese, whatever the server's sentence says.
    const said = await page.evaluate(async () => {
      const tl = await import('/assets/timeline.js');
      const say = (kind, detail) => tl.entryText({ kind, text: 'not read', detail: JSON.stringify(detail) }, { tasks: [], alerts: [], comments: [] });
      return [say('split', { incident: 9, alerts: [1, 2] }), say('member', { username: 'bob', role: '' }), say('severity', { from: 'medium', to: 'critical', manual: true })];
    });
    assert.deepEqual(said, [
      fill(zh['timeline.split'], { count: 2, id: 9 }),
      fill(zh['timeline.memberLeft'], { user: 'bob' }),
      fill(zh['timeline.severityManual'], { from: zh['alerts.levelMedium'], to: zh['alerts.levelCritical'] }),
    ]);
    await byId('lang-select').selectOption('en');
    await page.locator('[data-testid="attack-path-card"] .card-title:text-is("Attack path")').waitFor();
  });

  let exceptionRule = '';
  await step('an exception made from the root-login alert marks it a false positive', async () => {
    const other = incident.alerts.find((a) => a.rule_id !== BRUTE_FORCE_RULE);
    assert.ok(other, 'the incident has the root login alert');
    exceptionRule = other.rule_id;
    await page.locator(`[data-testid="incident-alert-row"][data-id="${other.id}"] [data-testid="incident-alert-link"]`).click();
    await byId('exception-form').waitFor();
    assert.ok(page.url().endsWith(`#/alerts/${other.id}`));
    assert.ok(await byId('alert-matched-field').count() >= 1, 'the matched fields are shown');
    const fieldRow = (name) => page.locator(`[data-testid="exception-field"][data-field="${name}"]`);
    assert.equal(await fieldRow('host.name').locator('[data-testid="exception-field-value"]').inputValue(), 'web-1');
    assert.ok(await fieldRow('host.name').locator('[data-testid="exception-field-check"]').isChecked());
    assert.equal(await fieldRow('user.name').locator('[data-testid="exception-field-value"]').inputValue(), 'root');
    assert.ok(await fieldRow('user.name').locator('[data-testid="exception-field-check"]').isChecked());
    await fieldRow('source.ip').locator('[data-testid="exception-field-check"]').uncheck();
    await byId('exception-reason').fill('Administrators sign in as root from the jump host');
    await byId('exception-submit').click();
    await page.locator('[data-testid="alert-status"][data-value="false_positive"]').waitFor();
    assert.match(await text(byId('alert-msg')), /^Exception \d+ created/);
  });

  await step('Rules lists the exception; it can be disabled, and exported as Sigma', async () => {
    await byId('exception-rules-link').click();
    const row = page.locator(`[data-testid="exception-row"][data-rule="${exceptionRule}"]`);
    await row.waitFor();
    await byId('rules-table').waitFor();
    const fields = await row.locator('[data-testid="exception-fields"] code').allInnerTexts();
    assert.deepEqual(fields.map((s) => s.trim()), ['host.name=web-1', 'user.name=root']);
    assert.equal(await text(row.locator('[data-testid="exception-author"]')), 'admin');
    assert.equal(await text(row.locator('[data-testid="exception-reason"]')), 'Administrators sign in as root from the jump host');
    assert.equal(await text(row.locator('[data-testid="exception-suppressed"]')), '0');
    assert.equal(await text(row.locator('[data-testid="exception-state"]')), 'Active');

    await row.locator('[data-testid="exception-edit"]').click();
    await byId('exception-edit-disabled').check();
    await byId('exception-edit-save').click();
    const disabled = page.locator(`[data-testid="exception-row"][data-rule="${exceptionRule}"][data-disabled="true"]`);
    await disabled.waitFor();
    assert.equal(await text(disabled.locator('[data-testid="exception-state"]')), 'Disabled');

    const href = await byId('exceptions-export').getAttribute('href');
    const exported = await page.evaluate(async (url) => {
      const res = await fetch(url, { credentials: 'same-origin' });
      return { status: res.status, body: await res.text() };
    }, href);
    assert.equal(exported.status, 200);
    assert.ok(exported.body.includes(exceptionRule), 'the export names the rule');
  });

  await step('the dashboard shows the incident metrics', async () => {
    await byId('nav-dashboard').click();
    await byId('metrics-open-value').waitFor();
    const res = await read('api/v1/metrics/incidents');
    assert.equal(res.status, 200);
    assert.equal(await text(byId('metrics-open-value')), String(res.data.open));
    assert.ok(res.data.open >= 1);
    const sev = page.locator(`[data-testid="metrics-by-severity"] [data-severity="${incident.severity}"]`);
    assert.equal(await sev.getAttribute('data-count'), String(res.data.by_severity[incident.severity]));
    assert.equal(await byId('metrics-tta').getAttribute('data-count'), String(res.data.time_to_acknowledge.count));
    // The dashboard's other content stays.
    await byId('dash-account').waitFor();
    await byId('dash-detection').waitFor();
  });
}
