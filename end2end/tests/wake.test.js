// Wakes in the browser, against the real server on a fresh SQLite
// database: a fake agent announcing `presence` takes the wake (no packet is
// sent) and then reports the machine up, as a booting machine would be
// seen. The card's Wake button is a form post: without the wasm it lands on
// the wake's page, which reloads itself until the verdict; with it the card
// shows the progress in place (live.test.js), linking to that page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, waitForHydration, api, createSuperuser, screenshot,
  signIn as signInAs, deviceCard, contextWithoutScript,
} from '../support/harness.js';
import { startFakeAgent } from '../support/fake-agent.js';

const PASSWORD = 'Correct-Horse-42';
let server;
let browser;
let agent;
const devices = {};

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await createSuperuser(server, 'root', PASSWORD);
  const root = await api(server, 'root', PASSWORD);
  const key = await root.post('/api/agents/enrollment-keys', {});
  agent = await startFakeAgent(server, key.key, 'lan-agent', { features: ['presence'] });
  for (const [name, mac] of [['pc', '02:00:00:00:00:01'], ['nas', '02:00:00:00:00:02']]) {
    devices[name] = (await root.post('/api/devices', {
      name, mac_address: mac, ip_address: '192.0.2.10', agent_ids: [agent.id],
    })).id;
    await agent.report(devices[name], 'down');
  }
});

after(async () => {
  await agent?.stop();
  await browser?.close();
  await server?.stop();
});

const card = deviceCard;

test('the card\'s progress leads to the wake\'s page, which follows it to the verdict', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signInAs(page, server, 'root', PASSWORD);
  await waitForHydration(page);
  await card(page, 'pc').getByRole('button', { name: 'Wake' }).click();
  await card(page, 'pc').locator('.wake-progress').getByRole('link').click();
  await page.waitForURL(/\/wakes\/[0-9a-f-]+$/);
  await page.getByText('lan-agent: sent 3 × 102 bytes to 192.0.2.255:9 via eth0').waitFor();
  assert.equal(agent.calls.length, 1);
  assert.equal(agent.calls[0].body.watch_s, 120, 'the agent watches it closely');
  await agent.report(devices.pc, 'up');
  await page.locator('.wake-verdict', { hasText: /up after \d+ s/ }).waitFor({ timeout: 10_000 });
  await screenshot(page, 'wake-page-up-desktop');
  await context.close();
});

test('without JavaScript the wake lands on its page, which follows it to the verdict', async () => {
  const context = await contextWithoutScript(browser, server, 'root', PASSWORD);
  const page = await context.newPage();
  await page.goto(`${server.url}/dashboard`);
  await card(page, 'nas').getByRole('button', { name: 'Wake' }).click();
  await page.waitForURL(/\/wakes\/[0-9a-f-]+$/);
  await page.getByRole('heading', { name: 'Wake of nas', level: 1 }).waitFor();
  const verdict = page.locator('.wake-verdict');
  assert.equal(await verdict.innerText(), 'sent by 1 of 1 agents · waiting for it to come up…');
  await screenshot(page, 'wake-page-pending');
  // It reloads itself every 2 s: the verdict shows without a click.
  await agent.report(devices.nas, 'up');
  await page.locator('.wake-verdict', { hasText: /up after \d+ s/ }).waitFor({ timeout: 10_000 });
  await screenshot(page, 'wake-page-up');
  await context.close();
});

test('a device\'s page, reached from its card, lists its wakes with their verdicts', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signInAs(page, server, 'root', PASSWORD);
  await waitForHydration(page);
  // The card's name leads to the device's page.
  await card(page, 'pc').getByRole('link', { name: 'pc', exact: true }).click();
  await page.waitForURL(/\/devices\/[0-9a-f-]+$/);
  await page.getByRole('heading', { name: 'pc', level: 1 }).waitFor();
  const rows = page.locator('table.wake-history tbody tr');
  assert.equal(await rows.count(), 1, 'the wake of the first test');
  assert.match(await rows.first().innerText(), /root\s+sent by 1 of 1 agents · up after \d+ s\s+\d+\.\d s/);
  // Woken again from here: the wake's page leads back, with both wakes.
  await agent.report(devices.pc, 'down');
  await page.getByRole('button', { name: 'Wake' }).click();
  await page.waitForURL(/\/wakes\/[0-9a-f-]+$/);
  await page.getByRole('link', { name: '← Device' }).click();
  await page.waitForURL(/\/devices\/[0-9a-f-]+$/);
  assert.equal(await rows.count(), 2);
  assert.match(await rows.first().innerText(), /waiting for it to come up…/);
  await screenshot(page, 'device-page-phone');
  await agent.report(devices.pc, 'up');
  await context.close();
});
