// Starts the real PowerBeacon server on a fresh SQLite database and Debian
// Chromium, for the browser tests. Everything stays on 127.0.0.1.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const screenshotDir = path.join(root, 'end2end', 'screenshots');

const binary = process.env.PB_E2E_BIN ?? path.join(root, 'target', 'debug', 'powerbeacon');
const siteRoot = process.env.PB_E2E_SITE_ROOT ?? path.join(root, 'target', 'site');
const chromiumPath = process.env.PB_E2E_CHROMIUM ?? '/usr/bin/chromium';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the server binary; resolves once /health answers 200. */
export async function startServer({ env = {} } = {}) {
  for (const [what, file] of [['server binary', binary], ['built site', path.join(siteRoot, 'pkg')]]) {
    if (!existsSync(file)) throw new Error(`${what} missing at ${file}: run \`cargo leptos build\` first`);
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'powerbeacon-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // A panic anywhere in the server fails the test run, even when the
  // page that caused it looked fine.
  const panics = [];
  let child;
  let exited = null;
  const launch = async () => {
    child = spawn(binary, [], {
      env: {
        PATH: process.env.PATH,
        PB_BIND: `127.0.0.1:${port}`,
        PB_DATA_DIR: dataDir,
        LEPTOS_SITE_ROOT: siteRoot,
        PB_LOG: 'warn',
        // The fake agents of the tests listen on 127.0.0.1.
        PB_ALLOW_LOOPBACK_AGENTS: 'true',
        // The fake OpenID provider of the tests listens on 127.0.0.1.
        PB_SSO_ALLOW_LOOPBACK: 'true',
        ...env,
      },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let partialLine = '';
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      const lines = (partialLine + chunk.toString()).split('\n');
      partialLine = lines.pop();
      panics.push(...lines.filter((line) => line.includes('panicked at')));
    });
    exited = null;
    child.on('exit', (code) => { exited = code; });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited !== null) throw new Error(`server exited with ${exited} during start-up`);
      try {
        const response = await fetch(`${url}/health`);
        if (response.ok) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error('server did not answer /health within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const halt = async () => {
    if (exited === null) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    }
  };
  await launch();
  return {
    url,
    /** The panics the server logged so far. */
    panics,
    /** Stops the server gracefully, waits `pauseMs`, and starts it again
     *  on the same port and data (an upgrade, as a browser sees it). */
    async restart(pauseMs = 0) {
      await halt();
      await new Promise((r) => setTimeout(r, pauseMs));
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
      if (panics.length > 0) {
        throw new Error(`the server panicked during the test:\n${panics.join('\n')}`);
      }
    },
  };
}

/** Launches headless Debian Chromium with networking kept to what the tests ask for. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Signs `page` in through the sign-in form and waits for the dashboard. */
export async function signIn(page, server, username, password) {
  await page.goto(`${server.url}/login`);
  await waitForHydration(page);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  await page.locator('#login-form button[type="submit"]').click();
  await page.waitForURL(`${server.url}/dashboard`);
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

/** The dashboard card of the device named `name`. */
export function deviceCard(page, name) {
  return page.locator('.device-card').filter({ has: page.getByRole('heading', { name, exact: true }) });
}

/**
 * A new browser context without JavaScript, signed in as `username` (signed
 * in through the form of a context with JavaScript, whose cookies it takes).
 */
export async function contextWithoutScript(browser, server, username, password) {
  const signedIn = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await signIn(await signedIn.newPage(), server, username, password);
  const cookies = await signedIn.cookies();
  await signedIn.close();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  await context.addCookies(cookies);
  return context;
}

/** Saves a full-page screenshot as end2end/screenshots/NAME.png. */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Waits until the wasm bundle has hydrated the page. */
export async function waitForHydration(page) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

/**
 * Saves a screenshot at desktop and phone widths, in light and dark, after
 * checking that the page is no wider than the screen.
 */
export async function screenshotAllWays(browser, url, name, { cookies = [], ready } = {}) {
  for (const [size, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    for (const scheme of ['light', 'dark']) {
      const context = await browser.newContext({ viewport, colorScheme: scheme });
      await context.addCookies(cookies);
      const page = await context.newPage();
      await page.goto(url);
      await waitForHydration(page);
      if (ready) await ready(page);
      // Nothing may widen the page past the screen (wide tables scroll in their frame).
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > viewport.width) throw new Error(`${name} is ${width}px wide on a ${viewport.width}px ${size}`);
      await screenshot(page, `${name}-${size}-${scheme}`);
      await context.close();
    }
  }
}

/** A REST client for arranging data through the public API. */
export async function api(server, username, password) {
  const form = new URLSearchParams({ username, password });
  const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', body: form });
  if (!login.ok) throw new Error(`login as ${username}: ${login.status}`);
  const { access_token: token } = await login.json();
  const call = async (method, path, body) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    put: (path, body) => call('PUT', path, body),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
  };
}

/** Adds `count` devices (`device-0`…, 50 at a time) through `client` (see `api`). */
export async function addDevices(client, count) {
  for (let start = 0; start < count; start += 50) {
    await Promise.all(Array.from({ length: Math.min(50, count - start) }, (_, i) => {
      const n = start + i;
      const mac = `02:00:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
      return client.post('/api/devices', { name: `device-${n}`, mac_address: mac, ip_address: `192.0.2.${n % 250 + 1}`, tags: ['bench'] });
    }));
  }
}

/** Creates the first superuser through the API. */
export async function createSuperuser(server, username, password) {
  const response = await fetch(`${server.url}/api/setup/init`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`setup: ${response.status} ${await response.text()}`);
}
