// Settings → Notifications: the two webhook channels of the e2e server's
// configuration (one on the receiver's accepting path with a signing secret, one
// on its refusing path without) and their route are listed with the addresses
// redacted and whether they sign; a test message to each gives its result; the
// delivery log shows the incident notifications and the two test messages, the
// refused ones highlighted with their error. ui.test.mjs runs these steps after
// the incident steps, whose incident was notified.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { until } from './poll.mjs';

export async function notifySteps(ctx) {
  const { step, page, byId, timeoutMs, receiver } = ctx;
  const text = async (locator) => (await locator.first().innerText()).trim();
  const channel = (name) => page.locator(`[data-testid="channel-row"][data-name="${name}"]`);
  // The delivery log as the API has it, read in the browser's session.
  const deliveries = () => page.evaluate(async () => {
    const r = await fetch('/api/v1/notify/deliveries?limit=200', { credentials: 'same-origin' });
    return r.json();
  });
  const zh = JSON.parse(await readFile(new URL('../internal/webui/assets/i18n/zh-CN.json', import.meta.url), 'utf8'));

  await step('Settings → Notifications lists the channels, redacted, and the route', async () => {
    await byId('nav-settings').click();
    await byId('settings-tab-notifications').click();
    await channel('e2e-hook').waitFor();
    await channel('e2e-refused').waitFor();
    assert.equal(await text(channel('e2e-hook').locator('[data-testid="channel-type"]')), 'Webhook');
    const url = await text(channel('e2e-hook').locator('[data-testid="channel-url"]'));
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/REDACTED$/, 'the path (where tokens live) is hidden');
    assert.ok(!(await byId('notify-channels').innerText()).includes('e2e-signing-secret'));
    const route = page.locator('[data-testid="route-row"][data-name="everything"]');
    await route.waitFor();
    assert.match(await route.innerText(), /e2e-hook[\s\S]*e2e-refused/);
    assert.match(await text(byId('notify-intro')), /notify:/);
    // Whether a channel signs (has_secret), never the secret.
    const cfg = await page.evaluate(async () => (await fetch('/api/v1/notify', { credentials: 'same-origin' })).json());
    assert.deepEqual(cfg.channels.map((c) => [c.name, c.has_secret]), [['e2e-hook', true], ['e2e-refused', false]]);
    const signed = channel('e2e-hook').locator('[data-testid="channel-secret"][data-has-secret="true"]');
    assert.equal(await text(signed), 'Signed');
    const unsigned = channel('e2e-refused').locator('[data-testid="channel-secret"][data-has-secret="false"]');
    assert.equal(await text(unsigned), 'Not signed');
  });

  await step('a test message to the accepting channel is sent and signed', async () => {
    await channel('e2e-hook').locator('[data-testid="channel-test"]').click();
    await channel('e2e-hook').locator('[data-testid="channel-test-result"][data-ok="true"]').waitFor();
    const got = await receiver.waitFor((r) => r.path === '/hook' && r.json && r.json.kind === 'notify.test', timeoutMs);
    assert.equal(got.headers['x-vigil-event'], 'notify.test');
    assert.match(got.headers['x-vigil-signature'] || '', /^sha256=[0-9a-f]{64}$/);
  });

  await step('a test message to the refusing channel shows its error', async () => {
    await channel('e2e-refused').locator('[data-testid="channel-test"]').click();
    const result = channel('e2e-refused').locator('[data-testid="channel-test-result"][data-ok="false"]');
    await result.waitFor();
    assert.match(await text(result.locator('[data-testid="channel-test-error"]')), /400/);
  });

  await step('the delivery log lists the incident notifications, failures highlighted with their error', async () => {
    // The incident's notifications were delivered in the background: wait for the
    // server to have recorded both channels' attempts, then reload the log.
    const log = await until('deliveries to both channels', async () => {
      const d = await deliveries();
      const items = d.items || [];
      const ok = items.some((x) => x.channel === 'e2e-hook' && x.ok && x.kind === 'incident.created') &&
        items.some((x) => x.channel === 'e2e-refused' && !x.ok && x.kind === 'incident.created');
      return [ok, items, d];
    }, timeoutMs);
    await byId('deliveries-refresh').click();
    const failed = page.locator('[data-testid="delivery-row"][data-channel="e2e-refused"][data-ok="false"]').first();
    await failed.waitFor();
    assert.match(await failed.getAttribute('class'), /\brow-failed\b/);
    assert.equal(await text(failed.locator('[data-testid="delivery-result"]')), 'Failed');
    const error = log.find((x) => x.channel === 'e2e-refused' && !x.ok).error;
    assert.ok(error.length > 0);
    assert.match(await text(failed.locator('[data-testid="delivery-error"]')), /400/);
    const sent = page.locator('[data-testid="delivery-row"][data-channel="e2e-hook"][data-kind="incident.created"][data-ok="true"]').first();
    await sent.waitFor();
    assert.equal(await text(sent.locator('[data-testid="delivery-result"]')), 'Delivered');
    assert.equal(await text(sent.locator('[data-testid="delivery-kind"]')), 'Incident created');
    // The receiver got the incident on the accepting channel.
    await receiver.waitFor((r) => r.path === '/hook' && r.json && r.json.kind === 'incident.created', timeoutMs);
  });

  await step('the test messages are in the delivery log with their results', async () => {
    // A test send is recorded before its answer, which the earlier steps waited for.
    const items = (await deliveries()).items || [];
    const tests = items.filter((x) => x.kind === 'notify.test');
    assert.deepEqual(tests.map((x) => [x.channel, x.ok]).sort(), [['e2e-hook', true], ['e2e-refused', false]]);
    assert.match(tests.find((x) => !x.ok).error, /400/);
    const sent = page.locator('[data-testid="delivery-row"][data-channel="e2e-hook"][data-kind="notify.test"][data-ok="true"]');
    await sent.waitFor();
    assert.equal(await text(sent.locator('[data-testid="delivery-kind"]')), 'Test');
    assert.equal(await text(sent.locator('[data-testid="delivery-result"]')), 'Delivered');
    const refused = page.locator('[data-testid="delivery-row"][data-channel="e2e-refused"][data-kind="notify.test"][data-ok="false"]');
    await refused.waitFor();
    assert.match(await refused.getAttribute('class'), /\brow-failed\b/);
    assert.equal(await text(refused.locator('[data-testid="delivery-result"]')), 'Failed');
    assert.match(await text(refused.locator('[data-testid="delivery-error"]')), /400/);
    assert.equal(await page.locator('[data-testid="delivery-row"][data-kind="notify.test"]').count(), 2);
  });

  await step('the notification settings render in Simplified Chinese', async () => {
    await byId('lang-select').selectOption('zh-CN');
    await page.locator('[data-testid="notify-channels"] .card-title:text-is("通知渠道")').waitFor();
    await page.locator('[data-testid="deliveries-card"] .card-title:text-is("投递记录")').waitFor();
    const sent = page.locator('[data-testid="delivery-row"][data-channel="e2e-hook"][data-kind="notify.test"] [data-testid="delivery-kind"]');
    await page.locator(`[data-testid="delivery-row"][data-kind="notify.test"] [data-testid="delivery-kind"]:text-is("${zh['notify.kindTest']}")`).first().waitFor();
    assert.equal(await text(sent), zh['notify.kindTest']);
    assert.equal(await text(channel('e2e-hook').locator('[data-testid="channel-secret"]')), zh['notify.signed']);
    assert.equal(await text(channel('e2e-refused').locator('[data-testid="channel-secret"]')), zh['notify.unsigned']);
    await byId('lang-select').selectOption('en');
    await page.locator('[data-testid="notify-channels"] .card-title:text-is("Channels")').waitFor();
  });
}
