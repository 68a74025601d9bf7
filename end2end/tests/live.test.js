// Live pages (docs/API.md, "Live events"): once hydrated, the dashboard, a
// cluster's page and the agents page follow the server's event stream and
// change in place, with no reload: a card from down to up after Wake, a
// cluster's tallies, an agent going offline and back, devices added and
// removed by someone else, and a quiet "Reconnecting…" while the stream is
// lost. A fake agent on 127.0.0.1 takes the wakes (no packet is sent) and
// reports presence as a booting machine would be seen.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, waitForHydration, api, createSuperuser, screenshot,
  signIn as signInAs, deviceCard,
} from '../support/harness.js';
import { startFakeAgent } from '../support/fake-agent.js';

const PASSWORD = 'Correct-Horse-42';
let server;
let browser;
let agent;
let root;
let lab;
const devices = {};

before(async () => {
  // Agents silent for 3 s read offline, so the agents page can show one go.
  server = await startServer({ env: { PB_AGENT_OFFLINE_SECONDS: '3' } });
  browser = await launchBrowser();
  await createSuperuser(server, 'root', PASSWORD);
  root = await api(server, 'root', PASSWORD);
  const key = await root.post('/api/agents/enrollment-keys', {});
  agent = await startFakeAgent(server, key.key, 'lan-agent', { features: ['presence'] });
  agent.beat(1000);
  for (const [name, mac] of [['pc', '02:00:00:00:0C:01'], ['nas', '02:00:00:00:0C:02']]) {
    devices[name] = (await root.post('/api/devices', {
      name, mac_address: mac, ip_address: '192.0.2.10', agent_ids: [agent.id],
    })).id;
    await agent.report(devices[name], 'down');
  }
  lab = (await root.post('/api/clusters', {
    name: 'Lab', device_ids: [devices.pc, devices.nas], agent_ids: [agent.id],
  })).id;
});

after(async () => {
  await agent?.stop();
  await browser?.close();
  await server?.stop();
});

/** A page signed in as root, at `path`, hydrated, marked so a reload would show. */
async function livePage(context, path) {
  const page = await context.newPage();
  await signInAs(page, server, 'root', PASSWORD);
  if (path !== '/dashboard') await page.goto(`${server.url}${path}`);
  await waitForHydration(page);
  await page.evaluate(() => { window.notReloaded = true; });
  return page;
}

async function assertNotReloaded(page) {
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
}

test('a card goes from down to up after Wake, and devices come and go, without a reload', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await livePage(context, '/dashboard');
  const pc = deviceCard(page, 'pc');
  await pc.locator('.presence-label', { hasText: /^Down/ }).waitFor();
  const up = page.locator('.stat', { hasText: 'Up' }).locator('.stat-value');
  assert.equal(await up.innerText(), '0');

  const calls = agent.calls.length;
  await pc.getByRole('button', { name: 'Wake' }).click();
  const progress = pc.locator('.wake-progress');
  await progress.getByText('sent by 1 of 1 agents · waiting for it to come up…').waitFor();
  assert.equal(agent.calls.length, calls + 1);
  await screenshot(page, 'live-card-waking');

  // The machine shows up: its dot, its words and the count follow.
  await agent.report(devices.pc, 'up');
  await progress.getByText(/^sent by 1 of 1 agents · up after \d+ s$/).waitFor();
  await pc.locator('.presence-label', { hasText: /^Up/ }).waitFor();
  await page.locator('.stat', { hasText: 'Up' }).locator('.stat-value', { hasText: '1' }).waitFor();
  await assertNotReloaded(page);
  await screenshot(page, 'live-card-up');

  // Someone else adds a device, then deletes it.
  const printer = await root.post('/api/devices', { name: 'printer', mac_address: '02:00:00:00:0C:03' });
  await deviceCard(page, 'printer').waitFor();
  await screenshot(page, 'live-card-added');
  await root.delete(`/api/devices/${printer.id}`);
  await deviceCard(page, 'printer').waitFor({ state: 'detached' });
  await assertNotReloaded(page);

  // The progress leads to the wake's page.
  await progress.getByRole('link').click();
  await page.waitForURL(/\/wakes\/[0-9a-f-]+$/);
  await page.getByText('lan-agent: sent 3 × 102 bytes').waitFor();
  await context.close();
});

test('a cluster\'s page counts its devices and its wake as they change', async () => {
  await agent.report(devices.pc, 'down');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await livePage(context, `/clusters/${lab}`);
  const tally = page.locator('.tally');
  await tally.getByText('0 up · 2 down · 0 unknown').waitFor();

  await page.getByRole('button', { name: 'Wake cluster' }).click();
  const wake = page.locator('.wake-progress', { hasText: 'Wake:' });
  await wake.getByText('Wake: 2 waiting').waitFor();
  await screenshot(page, 'live-cluster-waking');

  await agent.report(devices.pc, 'up');
  await wake.getByText('Wake: 1 up · 1 waiting').waitFor();
  await tally.getByText('1 up · 1 down · 0 unknown').waitFor();
  await agent.report(devices.nas, 'up');
  await wake.getByText('Wake: 2 up').waitFor();
  await tally.getByText('2 up · 0 down · 0 unknown').waitFor();
  // Each row says how its device's part went.
  const row = page.locator('tr[data-device-id]').filter({ hasText: 'nas' });
  await row.locator('.wake-progress', { hasText: /up after \d+ s/ }).waitFor();
  await assertNotReloaded(page);
  await screenshot(page, 'live-cluster-up');
  await context.close();
});

test('an agent going offline, and back, shows on the agents page', async () => {
  const key = await root.post('/api/agents/enrollment-keys', {});
  const edge = await startFakeAgent(server, key.key, 'edge-agent');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await livePage(context, '/agents');
  const card = page.locator(`.agent-card[data-agent-id="${edge.id}"]`);
  // Registered a moment ago, silent since: offline within the 3 s timeout.
  await card.locator('.status-badge', { hasText: 'offline' }).waitFor({ timeout: 15_000 });
  await screenshot(page, 'live-agent-offline');
  await edge.heartbeat();
  await card.locator('.status-badge', { hasText: 'online' }).waitFor();
  await assertNotReloaded(page);
  await screenshot(page, 'live-agent-online');
  await edge.stop();
  await context.close();
});

test('a lost connection shows "Reconnecting…", then the page catches up', async () => {
  await agent.report(devices.nas, 'up');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await livePage(context, '/dashboard');
  const nas = deviceCard(page, 'nas');
  await nas.locator('.presence-label', { hasText: /^Up/ }).waitFor();
  // The server restarts (an upgrade): the stream ends, the browser tries
  // again, and the page says so quietly.
  const restarted = server.restart(3000);
  await page.locator('.live-notice', { hasText: 'Reconnecting…' }).waitFor();
  await screenshot(page, 'live-reconnecting-phone');
  await restarted;
  // The agent, silent while the server was away, is heard again; the
  // machine goes down: the page catches up once reconnected.
  await agent.heartbeat();
  await agent.report(devices.nas, 'down');
  await nas.locator('.presence-label', { hasText: /^Down/ }).waitFor({ timeout: 15_000 });
  await page.locator('.live-notice', { hasText: 'Reconnecting…' }).waitFor({ state: 'hidden' });
  await assertNotReloaded(page);
  await context.close();
});
