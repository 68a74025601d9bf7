// What a first visit moves on the wire, against the budget written once in
// end2end/size-budget.json: every response Chromium receives from a cold
// cache (headers and bodies as sent, after compression) until the page is
// hydrated. Needs the release build `make test` makes (precompressed,
// split per page).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  root, addDevices, startServer, launchBrowser, api, createSuperuser, signIn, waitForHydration,
} from '../support/harness.js';

const budget = JSON.parse(readFileSync(path.join(root, 'end2end', 'size-budget.json'), 'utf8'));
const PASSWORD = 'Correct-Horse-42';
let server;
let browser;

before(async () => {
  const pkg = path.join(process.env.PB_E2E_SITE_ROOT ?? path.join(root, 'target', 'site'), 'pkg');
  for (const file of ['powerbeacon.wasm.br', '__wasm_split_manifest.json']) {
    assert.ok(
      existsSync(path.join(pkg, file)),
      `${file} missing: measure the release build (cargo leptos build --release --precompress --split)`,
    );
  }
  server = await startServer();
  browser = await launchBrowser();
  await createSuperuser(server, 'root', PASSWORD);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Loads `url` in a new page of `context` from a cold cache; the bytes of every response. */
async function firstVisit(context, url) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const responses = new Map();
  const received = [];
  cdp.on('Network.responseReceived', (event) => responses.set(event.requestId, event.response));
  cdp.on('Network.loadingFinished', (event) => {
    const response = responses.get(event.requestId);
    received.push({ url: response?.url ?? '?', encoding: response?.headers['content-encoding'], bytes: event.encodedDataLength });
  });
  await page.goto(url);
  await waitForHydration(page);
  await page.waitForLoadState('networkidle');
  await page.close();
  return received;
}

function check(name, received) {
  const total = received.reduce((sum, r) => sum + r.bytes, 0);
  const list = received.sort((a, b) => b.bytes - a.bytes)
    .map((r) => `  ${String(r.bytes).padStart(8)}  ${new URL(r.url).pathname} ${r.encoding ?? ''}`).join('\n');
  console.log(`${name}: ${total} bytes (ceiling ${budget.ceilings[name]}, goal ${budget.goal})\n${list}`);
  const wasm = received.filter((r) => r.url.endsWith('.wasm'));
  assert.ok(wasm.length > 1, 'the page loads its own chunk besides the core');
  for (const r of wasm) assert.equal(r.encoding, 'br', `${r.url} is sent brotli-compressed`);
  assert.ok(total <= budget.ceilings[name], `${name}: ${total} bytes on the wire, over its ${budget.ceilings[name]}`);
}

test('a first visit to /login stays within its budget', async () => {
  const context = await browser.newContext();
  check('/login', await firstVisit(context, `${server.url}/login`));
  await context.close();
});

test('a first visit to /dashboard of 1000 devices stays within its budget', async () => {
  await addDevices(await api(server, 'root', PASSWORD), 1000);
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server, 'root', PASSWORD);
  await page.close();
  check('/dashboard', await firstVisit(context, `${server.url}/dashboard`));
  await context.close();
});
