// Browser end-to-end test of the Vigil web console against the real server.
//
// It starts `vigil serve` on a fresh data directory, drives Chromium through
// the first administrator's whole sign-in story (one-time password, forced
// password change, TOTP enrolment, second sign-in with TOTP), switches the
// language, and creates an API token that it then uses from outside the
// browser.
//
// Environment: VIGIL_BIN (default ../bin/vigil from this folder),
// CHROMIUM_PATH (default /usr/bin/chromium), VIGIL_E2E_SHOTS (a folder to
// save a screenshot of every step into; off by default).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, access, readFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { totp, timeStep, codeAfter, hotp } from './totp.mjs';

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
let baseURL;
let adminPassword;
let browser;
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
  server = spawn(VIGIL_BIN, ['serve', '--data', dataDir, '--listen', '127.0.0.1:0'], {
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
  await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1360, height: 900 } });
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
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
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

test('web console: first sign-in, TOTP, language and API tokens', { timeout: 240_000 }, async (t) => {
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

  await step('the page raised no script errors or CSP violations', async () => {
    assert.deepEqual(pageProblems, []);
  });
});
