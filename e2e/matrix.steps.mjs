// The matrix's alert activity: after the ingested SSH brute force, the activity
// view lights its technique with the alert count, the period and the color are
// the page's query, the activity layer downloads, and the technique's page lists
// the recent alert of the period with a link to it (and none for a period before
// the attack). ui.test.mjs runs these steps after the incident steps.
import assert from 'node:assert/strict';

const BRUTE_FORCE_RULE = 'ebaeacae-f0d0-4ea2-9bf0-123c75cc5d6f';
const TECHNIQUE = 'CS-IA-03';

export async function matrixSteps(ctx) {
  const { step, page, byId, callAPI } = ctx;
  const read = (route) => callAPI('GET', route, ctx.readToken());
  const cell = (id) => page.locator(`[data-testid="matrix-cell"][data-technique="${id}"]`);

  let activity = null; // the API's activity of the last 24 hours
  await step('the matrix colored by activity lights the brute-force technique with its alert count', async () => {
    await byId('nav-matrix').click();
    await cell(TECHNIQUE).waitFor();
    await byId('matrix-color-activity').click();
    await page.locator('[data-testid="matrix-grid"][data-color="activity"]').waitFor();
    assert.match(page.url(), /color=activity/);
    await byId('matrix-period').selectOption('24h');
    await page.locator('[data-testid="matrix-grid"][data-color="activity"][data-period="24h"]').waitFor();
    assert.match(page.url(), /period=24h/);

    const res = await read('api/v1/matrix/activity');
    assert.equal(res.status, 200, JSON.stringify(res.data));
    activity = res.data.techniques.find((x) => x.technique === TECHNIQUE);
    assert.ok(activity && activity.alerts >= 1, `the API has activity for ${TECHNIQUE}: ${JSON.stringify(res.data)}`);
    const lit = page.locator(`[data-testid="matrix-cell"][data-technique="${TECHNIQUE}"][data-alerts="${activity.alerts}"]`);
    await lit.waitFor();
    assert.match(await lit.getAttribute('class'), /\bact-[1-4]\b/);
    assert.match(await lit.locator('[data-testid="matrix-cell-count"]').innerText(), new RegExp(`^${activity.alerts} alerts?$`));
    // A technique without alerts stays unlit.
    const quiet = await page.locator('[data-testid="matrix-cell"][data-alerts="0"]').first().getAttribute('class');
    assert.match(quiet, /\bact-0\b/);
    await page.locator('[data-testid="matrix-legend"] .legend-item.act-4').waitFor();
  });

  await step('the activity layer downloads for the period, next to the coverage layer', async () => {
    await byId('matrix-navigator').waitFor();
    const href = await byId('matrix-navigator-activity').getAttribute('href');
    assert.match(href, /^\/api\/v1\/matrix\/navigator\/activity\?from=[^&]+&to=/);
    const from = new Date(new URL(href, 'http://x').searchParams.get('from'));
    const to = new Date(new URL(href, 'http://x').searchParams.get('to'));
    assert.equal(to - from, 24 * 3600_000, 'the link covers the 24 hours shown');
    const layer = await page.evaluate(async (url) => {
      const r = await fetch(url, { credentials: 'same-origin' });
      return { status: r.status, disposition: r.headers.get('Content-Disposition'), body: await r.json() };
    }, href);
    assert.equal(layer.status, 200);
    assert.match(layer.disposition, /vigil-activity-layer\.json/);
    assert.ok(layer.body.techniques.length >= 1, 'the layer scores the ATT&CK techniques of the lit ones');
  });

  await step('a custom period that ended before the attack shows no activity', async () => {
    await byId('matrix-period').selectOption('custom');
    await byId('matrix-period-custom').waitFor();
    await byId('matrix-period-from').fill('2020-01-01T00:00');
    await byId('matrix-period-to').fill('2020-01-02T00:00');
    await byId('matrix-period-apply').click();
    await page.locator(`[data-testid="matrix-grid"][data-period="custom"] [data-testid="matrix-cell"][data-technique="${TECHNIQUE}"][data-alerts="0"]`).waitFor();
    await page.goBack();
    await page.locator(`[data-testid="matrix-grid"][data-period="24h"] [data-testid="matrix-cell"][data-technique="${TECHNIQUE}"][data-alerts="${activity.alerts}"]`).waitFor();
  });

  await step('the technique page lists the recent brute-force alert and links to it', async () => {
    await cell(TECHNIQUE).click();
    await page.locator(`[data-testid="matrix-detail"][data-technique="${TECHNIQUE}"]`).waitFor();
    assert.ok(page.url().includes(`#/matrix/${TECHNIQUE}?`), 'the page keeps the view in its address');
    for (const id of ['technique-description', 'technique-attack', 'technique-data-sources', 'technique-mitigations', 'technique-checklist', 'technique-rules']) {
      await byId(id).waitFor();
    }
    assert.equal(await byId('technique-activity-alerts').innerText(), String(activity.alerts));
    const row = page.locator(`[data-testid="technique-alert"][data-rule="${BRUTE_FORCE_RULE}"]`);
    await row.waitFor();
    // The alerts are those last seen in the page's 24 hours, as the API has them.
    const box = byId('technique-alerts-box');
    const from = await box.getAttribute('data-from');
    const to = await box.getAttribute('data-to');
    assert.equal(new Date(to) - new Date(from), 24 * 3600_000, 'the alerts cover the 24 hours shown');
    const alerts = await read(`api/v1/alerts?technique=${TECHNIQUE}&limit=20&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    assert.equal(alerts.status, 200, JSON.stringify(alerts.data));
    assert.ok(alerts.data.items.some((a) => a.rule_id === BRUTE_FORCE_RULE));
    assert.deepEqual(await byId('technique-alert').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id))),
      alerts.data.items.map((a) => a.id));
    const id = await row.getAttribute('data-id');
    await row.locator('[data-testid="technique-alert-link"]').click();
    await byId('alert-rule-title').waitFor();
    assert.ok(page.url().endsWith(`#/alerts/${id}`));
    await page.goBack();
    await page.locator(`[data-testid="matrix-detail"][data-technique="${TECHNIQUE}"]`).waitFor();
  });

  await step('the technique page\'s alerts follow the period: none before the attack, back again after', async () => {
    await byId('matrix-period').selectOption('custom');
    await byId('matrix-period-custom').waitFor();
    await byId('matrix-period-from').fill('2020-01-01T00:00');
    await byId('matrix-period-to').fill('2020-01-02T00:00');
    await byId('matrix-period-apply').click();
    await page.locator(`[data-testid="matrix-grid"][data-period="custom"]`).waitFor();
    await page.locator(`[data-testid="matrix-detail"][data-technique="${TECHNIQUE}"] [data-testid="technique-alerts-empty"]`).waitFor();
    assert.ok(page.url().includes(`#/matrix/${TECHNIQUE}?`) && page.url().includes('period=custom'), page.url());
    assert.equal(await byId('technique-alert').count(), 0);
    const want = await page.evaluate(() => [new Date('2020-01-01T00:00').toISOString(), new Date('2020-01-02T00:00').toISOString()]);
    const box = byId('technique-alerts-box');
    assert.deepEqual([await box.getAttribute('data-from'), await box.getAttribute('data-to')], want);
    // The alert queue still has the alert: only the period hides it.
    const inPeriod = await read(`api/v1/alerts?technique=${TECHNIQUE}&from=${encodeURIComponent(want[0])}&to=${encodeURIComponent(want[1])}`);
    assert.equal(inPeriod.data.items.length, 0);
    await byId('technique-alerts-all').waitFor();
    await page.goBack();
    await page.locator(`[data-testid="matrix-grid"][data-period="24h"]`).waitFor();
    await page.locator(`[data-testid="technique-alert"][data-rule="${BRUTE_FORCE_RULE}"]`).waitFor();
  });

  await step('the technique page renders in Simplified Chinese', async () => {
    await byId('lang-select').selectOption('zh-CN');
    await page.locator('[data-testid="technique-alerts"] h3:text-is("近期告警")').waitFor();
    await page.locator('[data-testid="matrix-color-activity"]:text-is("告警活动")').waitFor();
    await byId('lang-select').selectOption('en');
    await page.locator('[data-testid="technique-alerts"] h3:text-is("Recent alerts")').waitFor();
  });
}
