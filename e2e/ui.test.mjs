// Browser end-to-end test of the Vigil web console against the real server.
//
// It starts `vigil serve` on a fresh data directory, drives Chromium through
// the first administrator's whole sign-in story (one-time password, forced
// password change, TOTP enrolment, second sign-in with TOTP), switches the
// language, and creates an API token that it then uses from outside the
// browser. Then it creates an enrolment token, enrols a pretend agent and sends
// its heartbeat through the API, and checks the Hosts page (list, detail,
// offline state) and the Ingestion tab (a rejected NDJSON line). Last, the
// incident response steps (incidents.steps.mjs): an SSH brute force is ingested
// and followed through the alert queue, the incident list and board, the
// incident page, a false-positive exception and the dashboard. After them: the
// matrix's alert activity and a technique's recent alerts (matrix.steps.mjs), the
// live rules and rule uploads (rules.steps.mjs), the notification settings and
// delivery log (notify.steps.mjs, with a webhook receiver started here that the
// server's configuration points at), asset criticality (assets.steps.mjs) and,
// signed in as a viewer, the same pages without their write controls
// (permissions.steps.mjs).
//
// Environment: VIGIL_BIN (default ../bin/vigil from this folder),
// CHROMIUM_PATH (default /usr/bin/chromium), VIGIL_E2E_SHOTS (a folder to
// save a screenshot of every step into; off by default).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, access, readFile, writeFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { totp, timeStep, codeAfter, hotp } from './totp.mjs';
import { incidentSteps } from './incidents.steps.mjs';
import { matrixSteps } from './matrix.steps.mjs';
import { rulesSteps } from './rules.steps.mjs';
import { notifySteps } from './notify.steps.mjs';
import { assetSteps } from './assets.steps.mjs';
import { permissionSteps } from './permissions.steps.mjs';
import { startReceiver } from './webhook.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const VIGIL_BIN = process.env.VIGIL_BIN ? path.resolve(process.env.VIGIL_BIN) : path.resolve(here, '../bin/vigil');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// When set, a screenshot is saved there after every step (for reviewing the UI).
const SHOTS_DIR = process.env.VIGIL_E2E_SHOTS || '';
const NEW_PASSWORD = 'Correct-Horse-Battery-Staple-42';
const STARTUP_TIMEOUT_MS = 30_000;
const UI_TIMEOUT_MS = 15_000;

let server; // child process
let serverOutput = '';
let dataDir;
let configDir;
let receiver; // the webhook receiver the notification channels point at
let baseURL;
let adminPassword;
let browser;
let context;
let page;
const pageProblems = []; // uncaught page errors and CSP violations

function killServer() {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
}
process.on('exit', killServer);

// startServer runs `vigil serve` and waits for the first-start credentials and
// the URL on its standard output.
async function startServer() {
  await access(VIGIL_BIN, fsConstants.X_OK).catch(() => {
    throw new Error(`server binary ${VIGIL_BIN} not found or not executable; build it (go build -o bin/vigil ./cmd/vigil) or set VIGIL_BIN`);
  });
  dataDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-'));
  // Two webhook channels on the local receiver: one that accepts, one that refuses.
  configDir = await mkdtemp(path.join(tmpdir(), 'vigil-e2e-config-'));
  const config = path.join(configDir, 'vigil.yaml');
  await writeFile(config, [
    'notify:',
    '  channels:',
    '    - name: e2e-hook',
    '      type: webhook',
    `      url: ${receiver.url('/hook')}`,
    '      secret: e2e-signing-secret',
    // The incident's notifications must not use up the channel's rate limit before
    // the test send, which waits for it like any delivery.
    '      rate_per_minute: 600',
    '      burst: 50',
    '    - name: e2e-refused',
    '      type: webhook',
    `      url: ${receiver.url('/refuse')}`,
    '      rate_per_minute: 600',
    '      burst: 50',
    '  routes:',
    '    - name: everything',
    '      channels: [e2e-hook, e2e-refused]',
    '',
  ].join('\n'));
  server = spawn(VIGIL_BIN, ['serve', '--config', config, '--data', dataDir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`server did not report its URL and admin credentials within ${STARTUP_TIMEOUT_MS / 1000} s`)), STARTUP_TIMEOUT_MS);
    function fail(err) {
      clearTimeout(timer);
      reject(new Error(`${err.message}\n--- server output ---\n${serverOutput}`));
    }
    function check() {
      const user = /username:\s*(\S+)/.exec(stdout);
      const pass = /password:\s*(\S+)/.exec(stdout);
      const url = /Vigil is running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
      if (user && pass && url) {
        clearTimeout(timer);
        assert.equal(user[1], 'admin');
        adminPassword = pass[1];
        baseURL = url[1];
        resolve();
      }
    }
    server.stdout.setEncoding('utf8');
    server.stderr.setEncoding('utf8');
    server.stdout.on('data', (chunk) => { stdout += chunk; serverOutput += chunk; check(); });
    server.stderr.on('data', (chunk) => { serverOutput += chunk; });
    server.on('error', fail);
    server.on('exit', (code, signal) => fail(new Error(`server exited early (code ${code}, signal ${signal})`)));
  });
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  const timer = setTimeout(killServer, 5000);
  await exited;
  clearTimeout(timer);
}

before(async () => {
  await access(CHROMIUM, fsConstants.X_OK).catch(() => {
    throw new Error(`Chromium not found at ${CHROMIUM}; install the distribution's chromium package or set CHROMIUM_PATH`);
  });
  receiver = await startReceiver();
  await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  page = await context.newPage();
  page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) pageProblems.push(`CSP: ${msg.text()}`);
  });
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    await stopServer();
    if (receiver) await receiver.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (configDir) await rm(configDir, { recursive: true, force: true });
  }
});

// The page's elements are found by data-testid, never by their text, except
// where the text itself is what a step checks.
const byId = (id) => page.locator(`[data-testid="${id}"]`);

async function textOf(id) {
  return (await byId(id).first().innerText()).trim();
}

async function waitForText(id, expected) {
  await page.waitForFunction(([sel, want]) => {
    const el = document.querySelector(sel);
    return !!el && el.textContent.trim() === want;
  }, [`[data-testid="${id}"]`, expected], { timeout: UI_TIMEOUT_MS });
}

test('TOTP helper follows RFC 6238', () => {
  // RFC 6238 appendix B (SHA-1 key "12345678901234567890"), truncated to 6 digits.
  const key = Buffer.from('12345678901234567890');
  assert.equal(hotp(key, timeStep(59 * 1000)), '287082');
  assert.equal(hotp(key, timeStep(1111111109 * 1000)), '081804');
  assert.equal(hotp(key, timeStep(2000000000 * 1000)), '279037');
  // The same key in base32.
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59 * 1000), '287082');
});

test('web console: first sign-in, TOTP, language, API tokens, hosts, ingestion and incident response', { timeout: 600_000 }, async (t) => {
  let failed = false;
  let stepNumber = 0;
  async function step(name, fn) {
    await t.test(name, { skip: failed ? 'an earlier step failed' : false }, async () => {
      stepNumber += 1;
      try {
        await fn();
        if (SHOTS_DIR) {
          await page.screenshot({ path: path.join(SHOTS_DIR, `${String(stepNumber).padStart(2, '0')}.png`), fullPage: true });
        }
      } catch (err) {
        failed = true;
        const shot = path.join(tmpdir(), `vigil-e2e-${Date.now()}.png`);
        try {
          await page.screenshot({ path: shot, fullPage: true });
          t.diagnostic(`screenshot of the failure: ${shot}`);
        } catch (_) { /* the page may be gone */ }
        t.diagnostic(`page URL: ${page.url()}`);
        t.diagnostic(`server output:\n${serverOutput.split('\n').slice(-40).join('\n')}`);
        throw err;
      }
    });
  }

  let secret = '';
  let confirmStep = 0;
  let tokenSecret = '';

  await step('the console opens on the sign-in page', async () => {
    await page.goto(baseURL);
    await byId('login-form').waitFor();
    assert.match(page.url(), /#\/login$/);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  });

  await step('the admin signs in with the one-time password and must change it', async () => {
    await byId('login-username').fill('admin');
    await byId('login-password').fill(adminPassword);
    await byId('login-submit').click();
    await byId('pwchange-view').waitFor();
  });

  await step('a weak new password is refused with the server\'s message', async () => {
    await byId('pwchange-current').fill(adminPassword);
    await byId('pwchange-new').fill('password');
    await byId('pwchange-confirm').fill('password');
    await byId('pwchange-submit').click();
    await byId('pwchange-error').waitFor();
    assert.ok((await textOf('pwchange-error')).length > 0);
    await byId('pwchange-view').waitFor();
  });

  let forcedEnrolment = false;
  await step('a strong new password is accepted', async () => {
    await byId('pwchange-current').fill(adminPassword);
    await byId('pwchange-new').fill(NEW_PASSWORD);
    await byId('pwchange-confirm').fill(NEW_PASSWORD);
    await byId('pwchange-submit').click();
    // Next comes the forced TOTP enrolment when the admin role requires TOTP,
    // else the dashboard.
    await page.locator('[data-testid="totp-forced-view"], #content[data-page="dashboard"]').first().waitFor();
    forcedEnrolment = await byId('totp-forced-view').isVisible();
    t.diagnostic(forcedEnrolment ? 'TOTP enrolment was forced' : 'TOTP is not required for admin: enrolling from Settings → Security');
  });

  await step('TOTP enrolment starts (forced, or from Settings → Security)', async () => {
    if (!forcedEnrolment) {
      await byId('nav-settings').click();
      await byId('settings-tab-security').click();
      await byId('totp-enroll-start').click();
    }
    await byId('totp-secret').waitFor();
  });

  await step('TOTP enrolment shows a QR code and secret, and gives 10 recovery codes', async () => {
    secret = (await textOf('totp-secret')).replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]+=*$/, 'the secret is base32');
    const qr = await byId('totp-qr').evaluate((img) => ({ src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0 }));
    assert.ok(qr.src.startsWith('data:image/png;base64,'), 'the QR code is a PNG data URL');
    await page.waitForFunction(() => {
      const img = document.querySelector('[data-testid="totp-qr"]');
      return img && img.complete && img.naturalWidth > 0;
    });
    const now = Date.now();
    confirmStep = timeStep(now);
    await byId('totp-confirm-code').fill(totp(secret, now));
    await byId('totp-confirm-submit').click();
    await byId('recovery-codes').waitFor();
    const codes = await byId('recovery-code').allInnerTexts();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10, 'recovery codes are distinct');
    await byId('recovery-warning').waitFor();
    await byId('recovery-continue').click();
    if (forcedEnrolment) {
      await page.locator('#content[data-page="dashboard"]').waitFor();
    } else {
      await byId('security-totp').locator('.badge-ok').waitFor();
    }
    await byId('recovery-codes').waitFor({ state: 'detached' });
  });

  await step('signing out returns to the sign-in page', async () => {
    await byId('logout').click();
    await byId('login-form').waitFor();
  });

  await step('signing in again asks for a TOTP code and opens the dashboard', async () => {
    await byId('login-username').fill('admin');
    await byId('login-password').fill(NEW_PASSWORD);
    await byId('login-submit').click();
    await byId('totp-form').waitFor();
    // The code used at confirmation cannot be replayed: use a later step.
    const { code } = await codeAfter(secret, confirmStep);
    await byId('totp-code').fill(code);
    await byId('totp-submit').click();
    await page.locator('#content[data-page="dashboard"]').waitFor();
    assert.equal(await textOf('current-user'), 'admin');
    assert.equal(await textOf('dash-username'), 'admin');
    assert.equal(await textOf('current-role'), 'admin');
    await byId('audit-verify').locator('.badge-ok').waitFor();
    assert.ok(await byId('audit-row').count() > 0, 'the audit log lists the sign-ins and changes');
  });

  await step('the language switches to Simplified Chinese and is kept per user', async () => {
    const zh = JSON.parse(await readFile(path.resolve(here, '../internal/webui/assets/i18n/zh-CN.json'), 'utf8'));
    assert.equal(zh['nav.dashboard'], '仪表盘');
    await byId('lang-select').selectOption('zh-CN');
    await waitForText('nav-dashboard', '仪表盘');
    await waitForText('nav-settings', '设置');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    await page.reload();
    await page.locator('#content[data-page="dashboard"]').waitFor();
    await waitForText('nav-dashboard', '仪表盘');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    await byId('lang-select').selectOption('en');
    await waitForText('nav-dashboard', 'Dashboard');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  });

  await step('an API token is created, shown once, and works as a bearer token', async () => {
    await byId('nav-settings').click();
    await byId('settings-tab-tokens').click();
    await byId('token-create-form').waitFor();
    await byId('token-name-input').fill('e2e-ci');
    await byId('token-role-select').selectOption('viewer');
    await byId('token-create-submit').click();
    await byId('token-secret').waitFor();
    tokenSecret = await textOf('token-secret');
    assert.match(tokenSecret, /^vgl_\S+$/);

    const me = new URL('api/v1/me', baseURL);
    const withToken = await fetch(me, { headers: { Authorization: `Bearer ${tokenSecret}` } });
    assert.equal(withToken.status, 200);
    const body = await withToken.json();
    assert.equal(body.role, 'viewer');
    const without = await fetch(me);
    assert.equal(without.status, 401);
    const wrong = await fetch(me, { headers: { Authorization: `Bearer ${tokenSecret}x` } });
    assert.equal(wrong.status, 401);
  });

  await step('the token is listed, without its secret', async () => {
    const row = page.locator('[data-testid="token-row"][data-name="e2e-ci"]');
    await row.waitFor();
    assert.equal((await row.locator('[data-testid="token-role"]').innerText()).trim(), 'viewer');
    assert.ok(!(await byId('tokens-table').innerText()).includes(tokenSecret), 'the list never shows the secret');
  });

  // A JSON API call from outside the browser, with a bearer token.
  async function callAPI(method, route, token, body, contentType = 'application/json') {
    const res = await fetch(new URL(route, baseURL), {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let data = null;
    try { data = JSON.parse(text); } catch (_) { data = text; }
    return { status: res.status, data };
  }

  await step('with no agent enrolled, Hosts (linked from the dashboard) explains how to enrol one', async () => {
    await byId('nav-dashboard').click();
    await byId('dash-detection').waitFor();
    await byId('dash-hosts').click();
    await page.locator('#content[data-page="hosts"]').waitFor();
    await byId('hosts-empty').waitFor();
    assert.equal(await byId('host-row').count(), 0, 'an empty fleet shows no rows');
    const origin = new URL(baseURL).origin;
    assert.equal(await textOf('enrol-token-command'), 'vigil token create --role ingest --name fleet-enroll');
    assert.equal(await textOf('enrol-agent-command'), `vigil agent --server ${origin} --enroll TOKEN`);
  });

  await step('the Hosts page renders in Simplified Chinese', async () => {
    await byId('lang-select').selectOption('zh-CN');
    await waitForText('page-title', '主机');
    await waitForText('hosts-tab-ingestion', '数据接入');
    await byId('lang-select').selectOption('en');
    await waitForText('page-title', 'Hosts');
  });

  let enrolSecret = '';
  await step('an enrolment token with the ingest role is created in the console', async () => {
    await byId('nav-settings').click();
    await byId('settings-tab-tokens').click();
    await byId('token-create-form').waitFor();
    await byId('token-name-input').fill('fleet-enroll');
    await byId('token-role-select').selectOption('ingest');
    await byId('token-create-submit').click();
    const row = page.locator('[data-testid="token-row"][data-name="fleet-enroll"]');
    await row.waitFor();
    assert.equal((await row.locator('[data-testid="token-role"]').innerText()).trim(), 'ingest');
    enrolSecret = await textOf('token-secret');
    assert.match(enrolSecret, /^vgl_\S+$/);
    assert.notEqual(enrolSecret, tokenSecret);
  });

  await step('a pretend agent enrols with it and sends a heartbeat', async () => {
    const enrol = await callAPI('POST', 'api/v1/agents/enroll', enrolSecret, {
      hostname: 'e2e-host-1',
      machine_id: 'e2e-m-1',
      version: 'e2e',
      inventory: {
        os: 'Debian GNU/Linux 12 (bookworm)',
        kernel: '6.1.0-18-amd64',
        ips: ['10.0.0.4'],
        cloud: { provider: 'tencent_cloud', instance_id: 'ins-abc123', region: 'ap-guangzhou' },
      },
    });
    assert.equal(enrol.status, 201, JSON.stringify(enrol.data));
    assert.ok(enrol.data.agent_id > 0);
    assert.match(enrol.data.token, /^vgl_\S+$/);
    const beat = await callAPI('POST', 'api/v1/agents/heartbeat', enrol.data.token, {
      version: 'e2e',
      status: { sources: { 'file:/var/log/auth.log': { lines: 10, events: 10, unparsed: 0 } } },
    });
    assert.equal(beat.status, 200, JSON.stringify(beat.data));
  });

  await step('Hosts lists the agent with its OS and cloud instance, online', async () => {
    await byId('nav-hosts').click();
    const row = page.locator('[data-testid="host-row"][data-hostname="e2e-host-1"]');
    await row.waitFor();
    assert.equal((await row.locator('[data-testid="host-os"]').innerText()).trim(), 'Debian GNU/Linux 12 (bookworm)');
    assert.equal((await row.locator('[data-testid="host-kernel"]').innerText()).trim(), '6.1.0-18-amd64');
    assert.equal((await row.locator('[data-testid="host-instance"]').innerText()).trim(), 'ins-abc123');
    assert.match(await row.locator('[data-testid="host-cloud"]').innerText(), /Tencent Cloud/);
    assert.match(await row.locator('[data-testid="host-ips"]').innerText(), /10\.0\.0\.4/);
    assert.equal((await row.locator('[data-testid="host-version"]').innerText()).trim(), 'e2e');
    await row.locator('[data-testid="host-online"]').waitFor();
    assert.equal(await row.locator('[data-testid="host-offline"]').count(), 0);
    assert.equal(await byId('hosts-empty').count(), 0);
  });

  await step('the host\'s page shows its inventory and per-source counters', async () => {
    await page.locator('[data-testid="host-row"][data-hostname="e2e-host-1"] [data-testid="host-link"]').click();
    await byId('host-detail').locator('[data-testid="host-name"]').waitFor();
    assert.match(page.url(), /#\/hosts\/\d+$/);
    assert.equal(await textOf('host-name'), 'e2e-host-1');
    const inventory = await textOf('host-inventory');
    for (const want of ['Debian GNU/Linux 12 (bookworm)', '6.1.0-18-amd64', '10.0.0.4', 'ins-abc123', 'ap-guangzhou', 'Tencent Cloud']) {
      assert.ok(inventory.includes(want), `the inventory shows ${want}`);
    }
    const source = page.locator('[data-testid="source-row"][data-source="file:/var/log/auth.log"]');
    await source.waitFor();
    const counter = async (name) => (await source.locator(`[data-counter="${name}"]`).innerText()).trim();
    assert.equal(await counter('lines'), '10');
    assert.equal(await counter('events'), '10');
    assert.equal(await counter('unparsed'), '0');
    if (SHOTS_DIR) await page.screenshot({ path: path.join(SHOTS_DIR, 'host-detail.png'), fullPage: true });
    await byId('host-back').click();
    await page.locator('[data-testid="host-row"][data-hostname="e2e-host-1"]').waitFor();
  });

  await step('a host whose heartbeats stopped 5 minutes ago shows as offline', async () => {
    // A second browser context with the same session and the clock 5 minutes ahead.
    const later = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 }, storageState: await context.storageState() });
    try {
      await later.clock.setFixedTime(Date.now() + 5 * 60_000);
      const other = await later.newPage();
      other.setDefaultTimeout(UI_TIMEOUT_MS);
      other.on('pageerror', (err) => pageProblems.push(`page error (second context): ${err.message}`));
      await other.goto(new URL('#/hosts', baseURL).href);
      const badge = other.locator('[data-testid="host-row"][data-hostname="e2e-host-1"] [data-testid="host-offline"]');
      await badge.waitFor();
      assert.equal((await badge.innerText()).trim(), 'Offline since 5 minutes ago');
      assert.match(await other.locator('[data-testid="hosts-summary"]').innerText(), /offline: 1/);
      if (SHOTS_DIR) await other.screenshot({ path: path.join(SHOTS_DIR, 'offline.png'), fullPage: true });
    } finally {
      await later.close();
    }
  });

  await step('a broken NDJSON line is rejected and listed under Ingestion with its reason', async () => {
    const broken = `{"broken": "${'x'.repeat(300)}`;
    const body = `{"message": "e2e accepted line"}\n${broken}\n`;
    const res = await callAPI('POST', 'api/v1/ingest', enrolSecret, body, 'application/x-ndjson');
    assert.equal(res.status, 200, JSON.stringify(res.data));
    assert.equal(res.data.rejected, 1);
    assert.equal(res.data.rejections[0].line, 2);

    await byId('hosts-tab-ingestion').click();
    const row = byId('rejection-row').first();
    await row.waitFor();
    assert.match(await row.locator('[data-testid="rejection-reason"]').innerText(), /record 2: not a JSON object/);
    const raw = row.locator('[data-testid="rejection-raw"]');
    const preview = await raw.innerText();
    assert.ok(preview.startsWith('{"broken": "xxx'), 'the raw input is shown');
    assert.ok(preview.length < broken.length, 'long raw input is cut');
    await row.locator('[data-testid="rejection-expand"]').click();
    assert.equal((await raw.innerText()).trim(), broken);
  });

  await step('the Matrix page shows CS-IA-01 with its rules, and its checklist on click', async () => {
    await byId('nav-matrix').click();
    const cell = page.locator('[data-testid="matrix-cell"][data-technique="CS-IA-01"]');
    await cell.waitFor();
    const rules = Number(await cell.getAttribute('data-rules'));
    assert.ok(rules >= 1, `CS-IA-01 has ${rules} rules`);
    assert.match(await cell.innerText(), new RegExp(`CS-IA-01[\\s\\S]*${rules} rules`));
    assert.equal(await byId('matrix-grid').getAttribute('data-color'), 'coverage');
    await cell.click();
    const checklist = byId('technique-checklist');
    await checklist.waitFor();
    assert.ok(await checklist.locator('[data-testid="checklist-phase"]').count() >= 1, 'the checklist has phases');
    assert.equal(await byId('technique-rule').count(), rules);
    assert.ok(page.url().endsWith('#/matrix/CS-IA-01'));
  });

  const stepContext = {
    step, page, byId, waitForText, callAPI, timeoutMs: UI_TIMEOUT_MS,
    ingestToken: () => enrolSecret, readToken: () => tokenSecret, receiver,
    // A page in a browser context of its own (another person), watched like the first.
    newPage: async () => {
      const other = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 } });
      other.setDefaultTimeout(UI_TIMEOUT_MS);
      const p = await other.newPage();
      p.on('pageerror', (err) => pageProblems.push(`page error (second person): ${err.message}`));
      p.on('console', (msg) => {
        if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) pageProblems.push(`CSP (second person): ${msg.text()}`);
      });
      return p;
    },
  };
  await incidentSteps(stepContext);
  await matrixSteps(stepContext);
  await rulesSteps(stepContext);
  await notifySteps(stepContext);
  await assetSteps(stepContext);
  await permissionSteps(stepContext);

  await step('the page raised no script errors or CSP violations', async () => {
    assert.deepEqual(pageProblems, []);
  });
});
