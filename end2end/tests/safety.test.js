// Text people and agents write never runs as script: every user-writable
// field holds payloads, an admin visits every page, opens the dialogs and
// wakes things (toasts show the names), and no script of the payloads runs,
// no element of theirs appears, and the pages' Content-Security-Policy is
// never violated by the app itself.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, waitForHydration, api, createSuperuser, signIn } from '../support/harness.js';
import { startFakeAgent } from '../support/fake-agent.js';

const PASSWORD = 'Correct-Horse-42';
const CLOSE_AND_SCRIPT = '</title><script>window.__pwned = 1; alert(1)</script>';
const ATTRIBUTE_BREAKOUT = '"><svg onload="window.__pwned = 2; alert(2)">';
const QUOTE_BREAKOUT = "' onfocus='window.__pwned = 3' autofocus '";
const SCRIPT_URL = 'javascript:window.__pwned=4';
let server;
let browser;
let agent;
let clusterId;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await createSuperuser(server, 'root', PASSWORD);
  const root = await api(server, 'root', PASSWORD);
  await root.patch('/api/users/me', { full_name: ATTRIBUTE_BREAKOUT });
  const cluster = await root.post('/api/clusters', {
    name: CLOSE_AND_SCRIPT, description: ATTRIBUTE_BREAKOUT, tags: [QUOTE_BREAKOUT, SCRIPT_URL],
  });
  clusterId = cluster.id;
  const key = await root.post('/api/agents/enrollment-keys', { name: CLOSE_AND_SCRIPT, cluster_id: cluster.id });
  // Agent host names have no spaces.
  agent = await startFakeAgent(server, key.key, '</title><script>alert(5)</script>');
  await root.post('/api/devices', {
    name: CLOSE_AND_SCRIPT, mac_address: '02:00:00:00:0b:01', description: QUOTE_BREAKOUT,
    tags: [ATTRIBUTE_BREAKOUT, SCRIPT_URL], cluster_id: cluster.id, agent_ids: [agent.id],
  });
  await root.post('/api/users', {
    username: 'mallory', password: PASSWORD, role: 'user',
    email: '"><svg/onload=alert(6)>@example.com', full_name: CLOSE_AND_SCRIPT,
  });
});

after(async () => {
  await agent?.stop();
  await browser?.close();
  await server?.stop();
});

test('payloads in every field stay text on every page, dialog and toast', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const dialogs = [];
  const cspViolations = [];
  const errors = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  const pwned = () => page.evaluate(() => window.__pwned ?? null);
  const injected = () => page.evaluate(() => document.querySelectorAll('svg[onload], [onfocus]').length);

  await signIn(page, server, 'root', PASSWORD);
  for (const path of ['/dashboard', '/clusters', `/clusters/${clusterId}`, '/agents', '/users', '/settings']) {
    await page.goto(`${server.url}${path}`);
    await waitForHydration(page);
    assert.equal(await pwned(), null, path);
    assert.equal(await injected(), 0, path);
  }

  // The cluster's name is its page's title, as text.
  await page.goto(`${server.url}/clusters/${clusterId}`);
  await waitForHydration(page);
  assert.equal(await page.title(), `${CLOSE_AND_SCRIPT} · PowerBeacon`);

  // Wake from the cluster page: the wake's page names the cluster, the
  // device and the agent, as text.
  await page.getByRole('button', { name: 'Wake cluster' }).click();
  await page.locator('.wake-progress', { hasText: 'Wake:' }).getByRole('link').click();
  await page.waitForURL(/\/wakes\/[0-9a-f-]+$/);
  await page.getByRole('heading', { name: `Wake of ${CLOSE_AND_SCRIPT}`, level: 1 }).waitFor();
  await page.getByText('sent').first().waitFor();
  assert.equal(agent.calls.length, 1);
  assert.equal(await pwned(), null);
  await page.goto(`${server.url}/clusters/${clusterId}`);
  await waitForHydration(page);

  // The edit dialog holds the payloads in its fields.
  await page.getByRole('button', { name: 'Edit' }).first().click();
  const edit = page.getByRole('dialog');
  await edit.waitFor();
  assert.equal(await page.locator('#cluster-name').inputValue(), CLOSE_AND_SCRIPT);
  await page.keyboard.press('Escape');

  // The install dialog and the keys list on the agents page.
  await page.goto(`${server.url}/agents`);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Install an agent' }).click();
  const install = page.getByRole('dialog', { name: 'Install an agent' });
  await install.getByRole('button', { name: 'Create install command' }).click();
  await page.locator('#install-command').waitFor();
  await install.getByRole('button', { name: 'Done' }).click();

  // Wake from the dashboard: the card's progress leads to the wake's page.
  await page.goto(`${server.url}/dashboard`);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Wake', exact: true }).first().click();
  await page.locator('.wake-progress').first().getByRole('link').click();
  await page.waitForURL(/\/wakes\/[0-9a-f-]+$/);
  await page.getByText('sent').first().waitFor();

  assert.equal(await pwned(), null);
  assert.equal(await injected(), 0);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(cspViolations, []);
  assert.deepEqual(errors, []);
  await context.close();
});
