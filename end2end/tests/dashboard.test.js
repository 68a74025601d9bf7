// Signing in and the dashboard, against the real server on a fresh SQLite
// database with a fake agent on 127.0.0.1: sign-in failure and success,
// devices added, edited, searched, filtered, deleted and woken; what a
// viewer may not do; the theme; the pages without JavaScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, screenshot, screenshotAllWays, waitForHydration, api, createSuperuser,
  signIn as signInAs, deviceCard,
} from '../support/harness.js';
import { startFakeAgent } from '../support/fake-agent.js';

const PASSWORD = 'Correct-Horse-42';
let server;
let browser;
let agent;
let clusterId;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await createSuperuser(server, 'root', PASSWORD);
  const root = await api(server, 'root', PASSWORD);
  clusterId = (await root.post('/api/clusters', { name: 'lab' })).id;
  const key = await root.post('/api/agents/enrollment-keys', { cluster_id: clusterId });
  agent = await startFakeAgent(server, key.key, 'lan-agent');
  await root.post('/api/users', { username: 'vic', password: PASSWORD, role: 'viewer' });
});

after(async () => {
  await agent?.stop();
  await browser?.close();
  await server?.stop();
});

function signIn(page, username, password = PASSWORD) {
  return signInAs(page, server, username, password);
}

const card = deviceCard;

test('sign-in refuses a wrong password, then lands on the dashboard', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));

  await page.goto(`${server.url}/dashboard`);
  assert.equal(new URL(page.url()).pathname, '/login', 'not signed in: sent to sign in');
  await waitForHydration(page);
  await page.locator('#username').fill('root');
  await page.locator('#password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Incorrect username or password.').waitFor();
  assert.equal(new URL(page.url()).pathname, '/login');
  await screenshot(page, 'login-error-desktop-light');

  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.url}/dashboard`);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'pb_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'no token in localStorage');

  // Signing out ends the session.
  await page.locator('.user-menu summary').click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${server.url}/login`);
  await page.goto(`${server.url}/dashboard`);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.deepEqual(errors, []);
  await context.close();
});

test('devices are added, checked, searched, filtered, edited and deleted', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await signIn(page, 'root');
  await page.getByText('No devices yet').waitFor();

  // A bad MAC: the message sits next to the field and the dialog stays.
  await page.getByRole('button', { name: 'Add device' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add device' });
  await dialog.waitFor();
  await page.locator('#device-name').fill('nas');
  await page.locator('#device-mac').fill('zz');
  await dialog.getByRole('button', { name: 'Save device' }).click();
  await page.locator('#mac_address-error').waitFor();
  assert.equal(await page.locator('#device-mac').getAttribute('aria-invalid'), 'true');
  await screenshot(page, 'device-dialog-error-desktop-light');

  // Fixed, in the lab cluster: only the lab's agent is offered.
  await page.locator('#device-mac').fill('aa-bb-cc-dd-ee-ff');
  await page.locator('#device-ip').fill('192.0.2.10');
  await page.locator('#device-cluster').selectOption({ label: 'lab' });
  await dialog.getByLabel('lan-agent').check();
  await page.locator('#device-tags').fill('storage, office');
  await dialog.getByRole('button', { name: 'Save device' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByText('Saved nas').waitFor();
  const nas = card(page, 'nas');
  await nas.getByText('AA:BB:CC:DD:EE:FF').waitFor();
  await nas.getByText('lan-agent').waitFor();
  await nas.getByText('lab').waitFor();

  await page.getByRole('button', { name: 'Add device' }).click();
  await page.locator('#device-name').fill('desktop');
  await page.locator('#device-mac').fill('02:00:00:00:00:02');
  await page.locator('#device-os').selectOption('windows');
  await page.locator('#device-tags').fill('office');
  await page.getByRole('button', { name: 'Save device' }).click();
  await card(page, 'desktop').waitFor();
  assert.equal(await page.locator('.device-card').count(), 2);

  // Search by name, MAC and tag; filters by OS, tag and cluster.
  const names = async () => page.locator('.device-card h3').allTextContents();
  // The server searches, so the cards change once its answer is in.
  const shows = async (expected) => {
    const sorted = async () => (await names()).sort();
    for (let i = 0; i < 100 && JSON.stringify(await sorted()) !== JSON.stringify([...expected].sort()); i += 1) {
      await page.waitForTimeout(50);
    }
    assert.deepEqual(await sorted(), [...expected].sort());
  };
  const search = page.locator('#device-search');
  await search.fill('nas');
  await shows(['nas']);
  await search.fill('02:00:00');
  await shows(['desktop']);
  await search.fill('office');
  await shows(['desktop', 'nas']);
  await search.fill('nothing-like-this');
  await page.getByText('No device matches').waitFor();
  await search.fill('');
  await page.locator('#filter-os').selectOption('windows');
  await shows(['desktop']);
  await page.locator('#filter-os').selectOption('');
  await page.locator('#filter-tag').selectOption('storage');
  await shows(['nas']);
  await page.locator('#filter-tag').selectOption('');
  await page.locator('#filter-cluster').selectOption({ label: 'lab' });
  await shows(['nas']);
  await page.locator('#filter-cluster').selectOption('');

  // Edit, then delete after confirmation.
  await card(page, 'desktop').getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit device' });
  assert.equal(await page.locator('#device-mac').inputValue(), '02:00:00:00:00:02');
  await page.locator('#device-name').fill('workstation');
  await edit.getByRole('button', { name: 'Save device' }).click();
  await card(page, 'workstation').waitFor();
  await card(page, 'workstation').getByRole('button', { name: 'Delete' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete device' });
  await screenshot(page, 'device-delete-desktop-light');
  await confirm.getByRole('button', { name: 'Delete device' }).click();
  await card(page, 'workstation').waitFor({ state: 'detached' });
  await shows(['nas']);

  // Escape closes a dialog.
  await page.getByRole('button', { name: 'Add device' }).click();
  await page.getByRole('dialog').waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await context.close();
});

test('waking a device reaches the fake agent and its page reports each agent', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'root');
  const before = agent.calls.length;
  await card(page, 'nas').getByRole('button', { name: 'Wake' }).click();
  // The card shows the progress in place; it leads to the wake's page:
  // what each agent did, and the verdict to come.
  await card(page, 'nas').locator('.wake-progress').getByRole('link').click();
  await page.waitForURL(/\/wakes\/[0-9a-f-]+$/);
  await page.getByText('lan-agent: sent').waitFor();
  assert.equal(agent.calls.length, before + 1);
  const call = agent.calls.at(-1);
  assert.equal(call.body.mac, 'AA:BB:CC:DD:EE:FF');
  assert.match(call.authorization, /^Bearer [0-9a-f]{64}$/);
  await screenshot(page, 'dashboard-wake-desktop-light');
  await page.goto(`${server.url}/dashboard`);

  const cookies = await context.cookies();
  await screenshotAllWays(browser, `${server.url}/dashboard`, 'dashboard', {
    cookies,
    ready: (p) => p.locator('.device-card').first().waitFor(),
  });
  await screenshotAllWays(browser, `${server.url}/login`, 'login');
  await context.close();
});

test('a viewer sees no controls, and its direct server-function calls are refused', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, 'vic');
  await card(page, 'nas').waitFor();
  for (const name of ['Add device', 'Wake', 'Edit', 'Delete']) {
    assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button`);
  }
  const answer = await page.evaluate(async () => {
    const response = await fetch('/fn/create_device', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request: { name: 'sneaky', mac_address: '02:00:00:00:00:09' } }),
    });
    return { status: response.status, body: await response.json() };
  });
  assert.equal(answer.status, 403);
  assert.equal(answer.body.status_code, 403);
  const devices = await (await api(server, 'root', PASSWORD)).get('/api/devices');
  assert.equal(devices.count, 1, 'nothing was created');

  // Without a session at all: 401.
  const anonymous = await fetch(`${server.url}/fn/dashboard`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(anonymous.status, 401);
  // Only the encodings server functions read (text/plain is what another
  // site can post without asking first).
  const plain = await fetch(`${server.url}/fn/dashboard`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
  });
  assert.equal(plain.status, 415);
  // From another site: refused before anything runs.
  const forged = await fetch(`${server.url}/fn/sign_out`, {
    method: 'POST',
    headers: { origin: 'http://evil.example' },
  });
  assert.equal(forged.status, 403);
  await context.close();
});

test('the chosen theme is kept across a reload, without a flash', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const page = await context.newPage();
  await signIn(page, 'root');
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await page.getByRole('button', { name: 'Switch to dark theme' }).click();
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
  const dark = await background();
  assert.notEqual(dark, light);
  // The server renders the choice: the very first HTML has it.
  await page.waitForFunction(() => document.cookie.includes('pb_theme=dark'));
  const html = await (await page.request.get(`${server.url}/dashboard`)).text();
  assert.match(html, /<html[^>]*data-theme="dark"/);
  await page.reload();
  assert.equal(await page.locator('html').getAttribute('data-theme'), 'dark');
  assert.equal(await background(), dark);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Switch to light theme' }).click();
  assert.equal(await background(), light);
  await context.close();
});

test('without JavaScript, sign-in works and the dashboard shows its data', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.locator('#username').fill('root');
  await page.locator('#password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/login\?error=credentials/);
  await page.getByText('Incorrect username or password.').waitFor();

  await page.locator('#username').fill('root');
  await page.locator('#password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.url}/dashboard`);
  await card(page, 'nas').getByText('AA:BB:CC:DD:EE:FF').waitFor();
  assert.equal(await page.locator('.stat-value').first().textContent(), '1');
  // The search works as a plain GET form.
  await page.goto(`${server.url}/dashboard?q=nothing-like-this`);
  await page.getByText('No device matches').waitFor();
  await screenshot(page, 'dashboard-nojs-desktop-light');
  await context.close();
});

test('the agents page: state, install command, keys, approval and deletion', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await signIn(page, 'root');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
  await page.waitForURL(`${server.url}/agents`);
  const lan = page.locator('.agent-card').filter({ hasText: 'lan-agent' });
  await lan.getByText('Online').waitFor();
  await lan.getByText(/^127\.0\.0\.1:\d+$/).waitFor();
  await lan.getByText('lab').waitFor();

  // The install command, with a fresh key for the lab cluster.
  await page.getByRole('button', { name: 'Install an agent' }).click();
  const install = page.getByRole('dialog', { name: 'Install an agent' });
  await page.locator('#install-cluster').selectOption({ label: 'lab' });
  await install.getByRole('button', { name: 'Create install command' }).click();
  const command = await page.locator('#install-command').inputValue();
  assert.match(
    command,
    /^curl -fsSL 'http:\/\/127\.0\.0\.1:\d+\/install-agent\.sh' \| sudo sh -s -- --server 'http:\/\/127\.0\.0\.1:\d+' --key 'pbek_[0-9a-f]+'$/,
  );
  await screenshot(page, 'agents-install-desktop-light');
  await install.getByRole('button', { name: 'Done' }).click();
  await page.locator('tr').filter({ hasText: 'install command' }).getByText('Active').waitFor();

  // A key made by hand is shown once, then revoked.
  await page.getByRole('button', { name: 'New key' }).click();
  await page.locator('#key-name').fill('spare');
  await page.getByRole('button', { name: 'Create key' }).click();
  assert.match(await page.locator('#new-key').inputValue(), /^pbek_[0-9a-f]+$/);
  await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
  const spare = page.locator('tr').filter({ hasText: 'spare' });
  await spare.getByRole('button', { name: 'Revoke' }).click();
  await spare.getByText('Revoked').waitFor();

  // Open registration is switched on from the page; an agent that then
  // registers without a key waits for approval.
  const registration = page.locator('section.registration');
  await registration.getByText('Off: agents need an enrollment key to register.').waitFor();
  await registration.getByRole('button', { name: 'Turn on' }).click();
  await page.locator('.toast').filter({ hasText: 'Open registration is on' }).waitFor();
  await registration.getByRole('button', { name: 'Turn off' }).waitFor();
  const walkIn = await fetch(`${server.url}/api/agents/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hostname: 'walk-in', ip: '127.0.0.1', port: 9, os: 'linux', version: '1.0.0' }),
  });
  assert.equal(walkIn.status, 201);
  await page.reload();
  const pending = page.locator('.agent-card').filter({ hasText: 'walk-in' });
  await pending.getByText('Awaiting approval').waitFor();
  await waitForHydration(page);
  await page.locator('#agent-status').selectOption('pending');
  assert.equal(await page.locator('.agent-card').count(), 1);
  await page.locator('#agent-status').selectOption('all');
  await screenshotAllWays(browser, `${server.url}/agents`, 'agents', {
    cookies: await context.cookies(),
    ready: (p) => p.locator('.agent-card').first().waitFor(),
  });
  await pending.getByRole('button', { name: 'Approve' }).click();
  await pending.getByText('Online').waitFor();

  // Deleted after confirmation.
  await pending.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete agent' }).getByRole('button', { name: 'Delete agent' }).click();
  await pending.waitFor({ state: 'detached' });
  await lan.waitFor();
  assert.deepEqual(errors, []);
  await context.close();

  // Viewers have no agents page.
  const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const viewer = await viewerContext.newPage();
  await signIn(viewer, 'vic');
  assert.equal(await viewer.getByRole('link', { name: 'Agents' }).count(), 0);
  await viewer.goto(`${server.url}/agents`);
  await viewer.getByText('Viewers cannot see agents.').waitFor();
  await viewerContext.close();
});
