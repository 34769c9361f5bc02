// The Rules page: the live rules with their counters, searching, turning the
// brute-force rule off and on again, a refused upload with its file:line reasons,
// an uploaded rule file (chosen as a file) listed with origin custom, and its
// deletion. ui.test.mjs runs these steps after the incident steps.
import assert from 'node:assert/strict';

const BRUTE_FORCE_RULE = 'ebaeacae-f0d0-4ea2-9bf0-123c75cc5d6f';
const CUSTOM_RULE = '0e2e0e2e-0000-4000-8000-00000000e2e1';

// Two documents, each with a condition naming a search that does not exist.
const BAD_RULES = `title: E2E Broken Rule
id: 0e2e0e2e-0000-4000-8000-00000000bad1
logsource:
  product: linux
detection:
  selection:
    message|contains: e2e-broken
  condition: selection and missing
level: low
---
title: E2E Also Broken
id: 0e2e0e2e-0000-4000-8000-00000000bad2
logsource:
  product: linux
detection:
  condition: nothing
level: low
`;

const GOOD_RULES = `title: E2E Marker Seen
id: ${CUSTOM_RULE}
status: experimental
logsource:
  product: linux
detection:
  selection:
    message|contains: vigil-e2e-marker
  condition: selection
level: low
tags:
  - cs.ex-01
  - attack.t1059
`;

export async function rulesSteps(ctx) {
  const { step, page, byId, callAPI } = ctx;
  const read = (route) => callAPI('GET', route, ctx.readToken());
  const text = async (locator) => (await locator.first().innerText()).trim();
  const ruleRow = (id, extra = '') => page.locator(`[data-testid="rule-row"][data-id="${id}"]${extra}`);
  const apiRule = async (id) => {
    const res = await read('api/v1/rules');
    assert.equal(res.status, 200, JSON.stringify(res.data));
    return res.data.items.find((r) => r.id === id);
  };

  await step('Rules lists the live rules with the engines\' totals', async () => {
    await byId('nav-rules').click();
    await byId('rules-table').waitFor();
    const res = await read('api/v1/rules');
    assert.equal(res.status, 200);
    assert.ok(res.data.items.length > 100, 'the built-in rules are loaded');
    assert.equal(await byId('rule-row').count(), res.data.items.length, 'every rule is a row');
    assert.equal(await text(byId('rules-stat-events-value')), String(res.data.summary.events));
    assert.match(await text(byId('rules-stat-skipped-value')), /%$/);
    await byId('exceptions-card').waitFor();
    await byId('rulefiles-card').waitFor();
  });

  await step('searching finds the brute-force rule with its counters and techniques', async () => {
    await byId('rules-search').fill(BRUTE_FORCE_RULE);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="rule-row"]').length === 1);
    assert.match(page.url(), new RegExp(`#/rules\\?q=${BRUTE_FORCE_RULE}$`));
    const row = ruleRow(BRUTE_FORCE_RULE);
    const rule = await apiRule(BRUTE_FORCE_RULE);
    assert.equal(await text(row.locator('[data-testid="rule-title"]')), 'SSH Brute Force Followed by a Successful Login');
    assert.equal(await row.locator('[data-testid="rule-origin"]').getAttribute('data-value'), 'builtin');
    assert.equal(await text(row.locator('[data-testid="rule-kind"]')), 'Correlation');
    assert.ok(rule.alerts >= 1, 'the brute force raised its alert');
    assert.equal(await text(row.locator('[data-testid="rule-alerts"]')), String(rule.alerts));
    assert.ok((await row.locator('[data-testid="rule-technique"]').allInnerTexts()).includes('CS-IA-03'));
    await byId('rules-filter-origin').selectOption('custom');
    await byId('rules-empty').waitFor();
    await page.goBack();
    await ruleRow(BRUTE_FORCE_RULE).waitFor();
    assert.equal(await byId('rules-filter-origin').inputValue(), '');
  });

  await step('the brute-force rule is disabled, shown off, and enabled again', async () => {
    await ruleRow(BRUTE_FORCE_RULE).locator('[data-testid="rule-toggle"]').click();
    const off = ruleRow(BRUTE_FORCE_RULE, '[data-enabled="false"]');
    await off.waitFor();
    assert.equal(await text(off.locator('[data-testid="rule-enabled"]')), 'Off');
    assert.match(await text(byId('rules-msg')), /disabled/);
    assert.equal((await apiRule(BRUTE_FORCE_RULE)).enabled, false);
    await byId('rules-filter-state').selectOption('disabled');
    await off.waitFor();
    assert.equal(await byId('rule-row').count(), 1);

    await off.locator('[data-testid="rule-toggle"]').click();
    const on = ruleRow(BRUTE_FORCE_RULE, '[data-enabled="true"]');
    await page.locator('[data-testid="rules-empty"]').waitFor(); // no longer disabled, so filtered out
    await byId('rules-filter-state').selectOption('');
    await on.waitFor();
    assert.equal(await text(on.locator('[data-testid="rule-enabled"]')), 'On');
    assert.equal((await apiRule(BRUTE_FORCE_RULE)).enabled, true);
  });

  await step('an upload with broken rules is refused with every file:line reason', async () => {
    await byId('rules-search').fill('');
    await byId('rulefile-name-input').fill('e2e-bad.yml');
    await byId('rulefile-text').fill(BAD_RULES);
    await byId('rulefile-upload').click();
    await byId('rulefile-reasons').waitFor();
    const reasons = (await byId('rulefile-reason').allInnerTexts()).map((s) => s.trim());
    assert.equal(reasons.length, 2, `reasons: ${reasons}`);
    assert.match(reasons[0], /^e2e-bad\.yml:8: .*missing/);
    assert.match(reasons[1], /^e2e-bad\.yml:16: .*nothing/);
    assert.match(await text(byId('rulefile-msg')), /refused/);
    assert.equal(await page.locator('[data-testid="rulefile-row"][data-name="e2e-bad.yml"]').count(), 0);
    const files = await read('api/v1/rules/custom');
    assert.equal((files.data.items || []).length, 0, 'nothing was stored');
  });

  await step('a rule file chosen from disk is uploaded and its rule listed as custom', async () => {
    await byId('rulefile-input').setInputFiles({ name: 'e2e-good.yml', mimeType: 'application/x-yaml', buffer: Buffer.from(GOOD_RULES) });
    await page.waitForFunction(() => document.querySelector('[data-testid="rulefile-name-input"]').value === 'e2e-good.yml');
    assert.equal(await byId('rulefile-text').inputValue(), GOOD_RULES);
    await byId('rulefile-upload').click();
    const file = page.locator('[data-testid="rulefile-row"][data-name="e2e-good.yml"]');
    await file.waitFor();
    assert.match(await text(byId('rulefile-msg')), /e2e-good\.yml uploaded; rules loaded: 1\./);
    assert.equal(await text(file.locator('[data-testid="rulefile-rules"]')), 'E2E Marker Seen');
    assert.match(await text(file.locator('[data-testid="rulefile-by"]')), /admin/);
    await byId('rules-filter-origin').selectOption('custom');
    const row = ruleRow(CUSTOM_RULE, '[data-origin="custom"]');
    await row.waitFor();
    assert.equal(await byId('rule-row').count(), 1);
    assert.equal(await text(row.locator('[data-testid="rule-file"]')), 'e2e-good.yml');
    assert.equal((await apiRule(CUSTOM_RULE)).origin, 'custom');
  });

  await step('the uploaded rule shows on its technique\'s page', async () => {
    await byId('rule-row').first().locator('[data-testid="rule-technique"]').click();
    await page.locator('[data-testid="matrix-detail"][data-technique="CS-EX-01"]').waitFor();
    await page.locator(`[data-testid="technique-uploaded-rule"][data-rule="${CUSTOM_RULE}"]`).waitFor();
    await page.goBack();
    await ruleRow(CUSTOM_RULE).waitFor();
  });

  await step('the uploaded rule file is deleted, and its rule with it', async () => {
    await page.locator('[data-testid="rulefile-row"][data-name="e2e-good.yml"] [data-testid="rulefile-delete"]').click();
    await byId('confirm-ok').click();
    await byId('rulefiles-empty').waitFor();
    await byId('rules-empty').waitFor();
    assert.match(await text(byId('rulefile-msg')), /e2e-good\.yml deleted/);
    assert.equal(await apiRule(CUSTOM_RULE), undefined);
    await byId('rules-filter-origin').selectOption('');
    await byId('rules-table').waitFor();
  });
}
