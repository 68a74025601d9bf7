// Presence in the browser, against the real server on a fresh SQLite
// database: an agent announcing `presence` (played by this test over the
// agent protocol; no packet is sent) reports one device up, one up at
// another address and one down; the dashboard and the cluster's page show
// each state as a dot with its meaning in words, in both themes and at both
// widths; the dashboard's state filter finds them, also before (and
// without) the wasm; a manager adopts the moved machine's address.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, screenshotAllWays, waitForHydration, api, createSuperuser,
  signIn as signInAs, deviceCard, contextWithoutScript,
} from '../support/harness.js';

const PASSWORD = 'Correct-Horse-42';
let server;
let browser;
let clusterId;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await createSuperuser(server, 'root', PASSWORD);
  const root = await api(server, 'root', PASSWORD);
  clusterId = (await root.post('/api/clusters', { name: 'lab' })).id;
  const key = await root.post('/api/agents/enrollment-keys', { cluster_id: clusterId });
  const registration = await fetch(`${server.url}/api/agents/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      hostname: 'lan-agent', ip: '127.0.0.1', port: 9, os: 'linux', version: '1.0.0',
      enrollment_key: key.key, features: ['presence'],
    }),
  });
  assert.equal(registration.status, 201);
  const agent = await registration.json();
  const device = (name, mac, ip) => root.post('/api/devices', {
    name, mac_address: mac, ip_address: ip, cluster_id: clusterId, agent_ids: [agent.agent_id],
  });
  const nas = await device('nas', '02:00:00:00:00:01', '192.0.2.10');
  const laptop = await device('laptop', '02:00:00:00:00:02', '192.0.2.11');
  const printer = await device('printer', '02:00:00:00:00:03', '192.0.2.12');
  await root.post('/api/devices', { name: 'spare', mac_address: '02:00:00:00:00:04' });
  const sighting = (id, state, address) => ({
    device_id: id, state, method: 'tcp', address, rtt_us: state === 'up' ? 412 : undefined, age_ms: 0,
  });
  const report = await fetch(`${server.url}/api/agents/presence`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
    body: JSON.stringify({
      agent_id: agent.agent_id,
      sightings: [
        sighting(nas.id, 'up', '192.0.2.10'),
        sighting(laptop.id, 'up', '192.0.2.77'),
        sighting(printer.id, 'down', '192.0.2.12'),
      ],
    }),
  });
  assert.equal(report.status, 200, await report.text());
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const card = deviceCard;

test('each card says whether its machine is up, in words and with a dot', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInAs(page, server, 'root', PASSWORD);
  await waitForHydration(page);
  const state = async (name) => card(page, name).locator('.presence').getAttribute('data-state');
  assert.equal(await state('nas'), 'up');
  assert.equal(await state('laptop'), 'up');
  assert.equal(await state('printer'), 'down');
  assert.equal(await state('spare'), 'unknown');
  assert.match(await card(page, 'nas').locator('.presence').innerText(), /^Up for /);
  assert.match(await card(page, 'printer').locator('.presence').innerText(), /^Down for /);
  assert.equal(
    await card(page, 'spare').locator('.presence').innerText(),
    'Unknown: no agent watches it',
  );
  // The moved machine shows where it answers; who saw it is in the title.
  assert.match(await card(page, 'laptop').locator('.presence').innerText(), /at 192\.0\.2\.77/);
  assert.equal(
    await card(page, 'nas').locator('.presence').getAttribute('title'),
    'seen by lan-agent (tcp), 0.4 ms',
  );
  // The summary counts them.
  const stat = (label) => page.locator('.stat').filter({ hasText: label }).locator('.stat-value');
  assert.equal(await stat('Up').innerText(), '2');
  assert.equal(await stat('Down').innerText(), '1');

  // The state filter, with the wasm: the cards change in place.
  const shows = async (expected) => {
    const names = async () => (await page.locator('.device-card h3').allInnerTexts()).sort();
    for (let i = 0; i < 100 && JSON.stringify(await names()) !== JSON.stringify([...expected].sort()); i += 1) {
      await page.waitForTimeout(50);
    }
    assert.deepEqual(await names(), [...expected].sort());
  };
  await page.locator('#filter-presence').selectOption('down');
  await shows(['printer']);
  await page.locator('#filter-presence').selectOption('unknown');
  await shows(['spare']);
  await page.locator('#filter-presence').selectOption('');
  await shows(['nas', 'laptop', 'printer', 'spare']);

  const cookies = await context.cookies();
  await screenshotAllWays(browser, `${server.url}/dashboard`, 'presence-dashboard', {
    cookies,
    ready: (p) => p.locator('.presence').first().waitFor(),
  });
  await screenshotAllWays(browser, `${server.url}/clusters/${clusterId}`, 'presence-cluster', {
    cookies,
    ready: (p) => p.locator('.presence').first().waitFor(),
  });

  // A manager adopts the moved machine's address from its card: a plain
  // form post that comes back to the dashboard.
  await card(page, 'laptop').getByRole('button', { name: 'Use this address' }).click();
  // Its IP line shows the new address once the cards are read again.
  await card(page, 'laptop').locator('.device-facts dd').filter({ hasText: /^192\.0\.2\.77$/ }).waitFor();
  assert.equal(await card(page, 'laptop').locator('.presence-moved').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Use this address' }).count(), 0);
  await context.close();
});

test('without JavaScript the dots show and the state filter works', async () => {
  const context = await contextWithoutScript(browser, server, 'root', PASSWORD);
  const page = await context.newPage();
  await page.goto(`${server.url}/dashboard?presence=up`);
  const names = await page.locator('.device-card h3').allInnerTexts();
  assert.deepEqual(names.sort(), ['laptop', 'nas']);
  // The filter is a GET form: choosing and submitting reloads the page.
  await page.goto(`${server.url}/clusters/${clusterId}`);
  const row = page.locator('tr').filter({ hasText: 'printer' });
  assert.match(await row.locator('.presence').innerText(), /^Down for /);
  await context.close();
});
