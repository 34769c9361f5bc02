// The write controls of the rules, matrix, hosts and notification pages are
// shown only to callers with the permission: a viewer (alerts:read, hosts:read,
// no write permission, no settings:read), signed in in a second browser context,
// sees the rules, the matrix activity and the criticalities without any of them.
// ui.test.mjs runs these steps last.
import assert from 'node:assert/strict';

const PASSWORD = 'Viewer-Reads-Only-Everything-7';

export async function permissionSteps(ctx) {
  const { step, page, newPage } = ctx;
  let viewer = null; // the viewer's page
  const by = (id) => viewer.locator(`[data-testid="${id}"]`);

  await step('a viewer is created and signs in with a new password', async () => {
    const created = await page.evaluate(async () => {
      // The console's own client, with the admin session's CSRF token.
      const { api } = await import('/assets/api.js');
      return api.post('/api/v1/users', { username: 'e2e-viewer', role: 'viewer' });
    });
    assert.ok(created.password, 'a one-time password was generated');
    viewer = await newPage();
    await viewer.goto(new URL('#/login', page.url()).href);
    await by('login-username').fill('e2e-viewer');
    await by('login-password').fill(created.password);
    await by('login-submit').click();
    await by('pwchange-view').waitFor();
    await by('pwchange-current').fill(created.password);
    await by('pwchange-new').fill(PASSWORD);
    await by('pwchange-confirm').fill(PASSWORD);
    await by('pwchange-submit').click();
    await viewer.locator('#content[data-page="dashboard"]').waitFor();
  });

  await step('the viewer reads the rules without switches, uploads or deletes', async () => {
    await viewer.goto(new URL('#/rules', page.url()).href);
    await by('rules-table').waitFor();
    assert.ok(await by('rule-row').count() > 100);
    assert.equal(await by('rule-toggle').count(), 0);
    assert.equal(await by('rulefile-form').count(), 0);
    assert.equal(await by('rulefile-delete').count(), 0);
    await by('exceptions-table').waitFor();
    assert.equal(await by('exception-edit').count(), 0);
  });

  await step('the viewer colors the matrix by activity', async () => {
    await viewer.goto(new URL('#/matrix?color=activity', page.url()).href);
    await viewer.locator('[data-testid="matrix-grid"][data-color="activity"]').waitFor();
    await by('matrix-navigator-activity').waitFor();
  });

  await step('the viewer sees the criticalities but cannot set them', async () => {
    await viewer.goto(new URL('#/hosts', page.url()).href);
    await viewer.locator('[data-testid="host-row"][data-hostname="e2e-host-1"] [data-testid="asset-criticality-shown"][data-value="high"]').waitFor();
    await viewer.locator('[data-testid="asset-row"][data-host="web-1"]').waitFor();
    assert.equal(await by('asset-edit').count(), 0);
    assert.equal(await by('asset-clear').count(), 0);
    assert.equal(await by('asset-add-form').count(), 0);
  });

  await step('the viewer has no notification settings', async () => {
    await viewer.goto(new URL('#/settings/notifications', page.url()).href);
    await by('settings-tabs').waitFor();
    assert.equal(await by('settings-tab-notifications').count(), 0);
    assert.equal(await by('notify-channels').count(), 0);
    await viewer.context().close();
  });
}
