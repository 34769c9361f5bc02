// Asset criticality on the Hosts page: the enrolled agent's host gets a
// criticality and groups from its row, web-1, known only from the ingested logs,
// gets one by name, and another host's is set and then cleared (after a cancelled
// first try). ui.test.mjs runs these steps after the incident steps.
import assert from 'node:assert/strict';

export async function assetSteps(ctx) {
  const { step, page, byId } = ctx;
  const text = async (locator) => (await locator.first().innerText()).trim();
  const assets = () => page.evaluate(async () => {
    const r = await fetch('/api/v1/assets', { credentials: 'same-origin' });
    return r.json();
  });

  await step('an enrolled host is given a criticality and groups from its row', async () => {
    await byId('nav-hosts').click();
    const row = page.locator('[data-testid="host-row"][data-hostname="e2e-host-1"]');
    await row.waitFor();
    assert.equal(await text(row.locator('[data-testid="host-criticality"] [data-testid="asset-criticality-shown"]')), '—');
    await row.locator('[data-testid="asset-edit"]').click();
    const form = page.locator('[data-testid="asset-form"][data-host="e2e-host-1"]');
    await form.locator('[data-testid="asset-criticality"]').selectOption('high');
    await form.locator('[data-testid="asset-groups"]').fill('prod, web');
    await form.locator('[data-testid="asset-save"]').click();
    await form.waitFor({ state: 'detached' });
    const shown = row.locator('[data-testid="asset-criticality-shown"][data-value="high"]');
    await shown.waitFor();
    assert.equal(await text(shown), 'High');
    assert.deepEqual((await row.locator('[data-testid="asset-groups-shown"] code').allInnerTexts()).map((s) => s.trim()), ['prod', 'web']);
    const list = await assets();
    const a = list.items.find((x) => x.host === 'e2e-host-1');
    assert.equal(a.criticality, 'high');
    assert.deepEqual(a.groups, ['prod', 'web']);
  });

  await step('a host known only from logs is given a criticality by name', async () => {
    await byId('assets-empty').waitFor();
    await byId('asset-add-host').fill('web-1');
    await byId('asset-add-criticality').selectOption('critical');
    await byId('asset-add-groups').fill('dmz');
    await byId('asset-add-submit').click();
    const row = page.locator('[data-testid="asset-row"][data-host="web-1"][data-criticality="critical"]');
    await row.waitFor();
    assert.equal(await text(row.locator('[data-testid="asset-criticality-shown"]')), 'Critical');
    assert.equal(await byId('asset-add-host').inputValue(), '', 'the form is ready for the next host');
    // The enrolled host is not listed again among the hosts without an agent.
    assert.equal(await page.locator('[data-testid="asset-row"][data-host="e2e-host-1"]').count(), 0);
    const a = (await assets()).items.find((x) => x.host === 'web-1');
    assert.equal(a.criticality, 'critical');
    assert.deepEqual(a.groups, ['dmz']);
    // And it is changed from its row.
    await row.locator('[data-testid="asset-edit"]').click();
    const form = page.locator('[data-testid="asset-form"][data-host="web-1"]');
    assert.equal(await form.locator('[data-testid="asset-criticality"]').inputValue(), 'critical');
    await form.locator('[data-testid="asset-criticality"]').selectOption('medium');
    await form.locator('[data-testid="asset-save"]').click();
    await page.locator('[data-testid="asset-row"][data-host="web-1"][data-criticality="medium"]').waitFor();
  });

  await step('the host\'s page shows its criticality', async () => {
    await page.locator('[data-testid="host-row"][data-hostname="e2e-host-1"] [data-testid="host-link"]').click();
    await page.locator('[data-testid="host-asset"] [data-testid="asset-criticality-shown"][data-value="high"]').waitFor();
    await byId('host-back').click();
    await byId('assets-card').waitFor();
  });

  await step('a host\'s criticality and groups are cleared from its row, once confirmed', async () => {
    await byId('asset-add-host').fill('old-db-1');
    await byId('asset-add-criticality').selectOption('low');
    await byId('asset-add-groups').fill('legacy');
    await byId('asset-add-submit').click();
    const row = page.locator('[data-testid="asset-row"][data-host="old-db-1"][data-criticality="low"]');
    await row.waitFor();
    // Cancelled, nothing changes.
    await row.locator('[data-testid="asset-clear"]').click();
    await byId('confirm-dialog').waitFor();
    assert.match(await text(byId('confirm-dialog')), /old-db-1/);
    await byId('confirm-cancel').click();
    await byId('confirm-dialog').waitFor({ state: 'detached' });
    assert.ok((await assets()).items.some((x) => x.host === 'old-db-1'));
    await row.waitFor();
    // Confirmed, the host is forgotten.
    await row.locator('[data-testid="asset-clear"]').click();
    await byId('confirm-ok').click();
    await page.locator('[data-testid="asset-row"][data-host="old-db-1"]').waitFor({ state: 'detached' });
    assert.equal((await assets()).items.find((x) => x.host === 'old-db-1'), undefined);
    // The other hosts keep theirs, and their clear buttons.
    await page.locator('[data-testid="asset-row"][data-host="web-1"][data-criticality="medium"]').waitFor();
    await page.locator('[data-testid="host-row"][data-hostname="e2e-host-1"] [data-testid="asset-clear"]').waitFor();
  });
}
