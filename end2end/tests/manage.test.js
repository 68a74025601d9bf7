// Clusters, users and settings, against the real server on a fresh SQLite
// database with a fake agent on 127.0.0.1: a cluster made of devices in
// the browser and woken (the fake agent records the calls), its page,
// search, edit and delete; users created, validated, edited and deleted by
// a superuser, and what an admin and a viewer are shown; profile,
// password and single sign-on settings; the 404 page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, screenshot, screenshotAllWays, waitForHydration, api, createSuperuser,
  signIn,
} from '../support/harness.js';
import { startFakeAgent } from '../support/fake-agent.js';

const PASSWORD = 'Correct-Horse-42';
let server;
let browser;
let agent;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await createSuperuser(server, 'root', PASSWORD);
  const root = await api(server, 'root', PASSWORD);
  const key = await root.post('/api/agents/enrollment-keys', {});
  agent = await startFakeAgent(server, key.key, 'office-agent');
  for (const [name, mac] of [['alpha', '02:00:00:00:0a:01'], ['beta', '02:00:00:00:0a:02'], ['gamma', '02:00:00:00:0a:03']]) {
    await root.post('/api/devices', { name, mac_address: mac, agent_ids: [agent.id] });
  }
  await root.post('/api/users', { username: 'adam', password: PASSWORD, role: 'admin', email: 'adam@example.com' });
  await root.post('/api/users', { username: 'vic', password: PASSWORD, role: 'viewer' });
});

after(async () => {
  await agent?.stop();
  await browser?.close();
  await server?.stop();
});

/** A signed-in page (and its context) for `username`. */
async function signedIn(username, password = PASSWORD) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await signIn(page, server, username, password);
  return { context, page, errors };
}

function clusterCard(page, name) {
  return page.locator('.cluster-card').filter({ has: page.getByRole('heading', { name, exact: true }) });
}

test('a cluster is made of devices and an agent in the browser, then woken through the fake agent', async () => {
  const { context, page, errors } = await signedIn('root');
  await page.getByRole('link', { name: 'Clusters' }).click();
  await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
  await page.getByText('No clusters yet').waitFor();

  // A blank name is refused next to the field; nothing is created.
  await page.getByRole('button', { name: 'New cluster' }).click();
  const dialog = page.getByRole('dialog', { name: 'New cluster' });
  await dialog.getByRole('button', { name: 'Save cluster' }).click();
  await page.locator('#name-error').waitFor();
  assert.equal(await page.locator('#cluster-name').getAttribute('aria-invalid'), 'true');

  await page.locator('#cluster-name').fill('Office');
  await page.locator('#cluster-description').fill('Second floor');
  await page.locator('#cluster-tags').fill('work, floor-2');
  await dialog.locator('#cluster-devices').getByLabel('alpha').check();
  await dialog.locator('#cluster-devices').getByLabel('beta').check();
  await dialog.locator('#cluster-agents').getByLabel('office-agent').check();
  await dialog.getByText('(2 chosen)').waitFor();
  await screenshot(page, 'cluster-dialog-desktop-light');
  await dialog.getByRole('button', { name: 'Save cluster' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByText('Saved Office').waitFor();
  const office = clusterCard(page, 'Office');
  await office.getByText('2 devices').waitFor();
  await office.getByText('1 agent', { exact: true }).waitFor();
  await office.getByText('floor-2').waitFor();

  // Waking the cluster sends one call per device to the fake agent.
  const before = agent.calls.length;
  await office.getByRole('button', { name: 'Wake cluster' }).click();
  // The wake's page: each device, and what the agent sent for it.
  await page.waitForURL(/\/wakes\/[0-9a-f-]+$/);
  await page.getByRole('heading', { name: 'Wake of Office', level: 1 }).waitFor();
  await page.locator('tr').filter({ hasText: 'alpha' }).filter({ hasText: 'office-agent: sent' }).waitFor();
  const macs = agent.calls.slice(before).map((call) => call.body.mac).sort();
  assert.deepEqual(macs, ['02:00:00:00:0A:01', '02:00:00:00:0A:02']);
  await screenshot(page, 'clusters-wake-desktop-light');
  await page.goto(`${server.url}/clusters`);
  await waitForHydration(page);

  // A second cluster, and the search.
  await page.getByRole('button', { name: 'New cluster' }).click();
  await page.locator('#cluster-name').fill('Garage');
  await page.locator('#cluster-devices').getByLabel('gamma').check();
  await page.getByRole('button', { name: 'Save cluster' }).click();
  await clusterCard(page, 'Garage').waitFor();
  const names = async () => page.locator('.cluster-card h3').allTextContents();
  assert.deepEqual(await names(), ['Garage', 'Office']);
  await page.locator('#cluster-search').fill('floor');
  assert.deepEqual(await names(), ['Office']);
  await page.locator('#cluster-search').fill('nothing-like-this');
  await page.getByText('No cluster matches').waitFor();
  await page.getByRole('button', { name: 'Clear search' }).click();
  assert.deepEqual(await names(), ['Garage', 'Office']);

  // Edit from the list: the dialog loads the cluster's members, ticked.
  await clusterCard(page, 'Garage').getByRole('button', { name: 'Edit' }).click();
  const listEdit = page.getByRole('dialog', { name: 'Edit cluster' });
  await listEdit.locator('#cluster-devices').waitFor();
  assert.equal(await listEdit.locator('#cluster-devices').getByLabel('gamma').isChecked(), true);
  assert.equal(await listEdit.locator('#cluster-devices').getByLabel('alpha').isChecked(), false);
  await page.locator('#cluster-description').fill('Cars and tools');
  await listEdit.getByRole('button', { name: 'Save cluster' }).click();
  await clusterCard(page, 'Garage').getByText('Cars and tools').waitFor();
  await clusterCard(page, 'Garage').getByText('1 device', { exact: true }).waitFor();

  // The cluster's page: its devices and agent, a device woken from there.
  await clusterCard(page, 'Office').getByRole('link', { name: 'Office' }).click();
  await page.getByRole('heading', { name: 'Office', level: 1 }).waitFor();
  assert.equal(await page.title(), 'Office · PowerBeacon');
  const deviceRows = page.locator('tr[data-device-id] th');
  assert.deepEqual(await deviceRows.allTextContents(), ['alpha', 'beta']);
  await page.locator('tr[data-agent-id]').getByText('office-agent').waitFor();
  const single = agent.calls.length;
  const detailUrl = page.url();
  const betaRow = page.locator('tr[data-device-id]').filter({ hasText: 'beta' });
  await betaRow.getByRole('button', { name: 'Wake' }).click();
  // In place: the row shows the progress, which leads to the wake's page.
  await betaRow.locator('.wake-progress').getByRole('link').click();
  await page.waitForURL(/\/wakes\/[0-9a-f-]+$/);
  await page.getByText('office-agent: sent').waitFor();
  await waitUntil(() => agent.calls.length === single + 1);
  assert.equal(agent.calls.at(-1).body.mac, '02:00:00:00:0A:02');
  await page.goto(detailUrl);
  await waitForHydration(page);
  const cookies = await context.cookies();
  await screenshotAllWays(browser, detailUrl, 'cluster-detail', {
    cookies, ready: (p) => p.locator('tr[data-device-id]').first().waitFor(),
  });
  await screenshotAllWays(browser, `${server.url}/clusters`, 'clusters', {
    cookies, ready: (p) => p.locator('.cluster-card').first().waitFor(),
  });

  // Edit from its page: beta leaves, the name changes.
  await page.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit cluster' });
  assert.equal(await edit.locator('#cluster-devices').getByLabel('alpha').isChecked(), true);
  await edit.locator('#cluster-devices').getByLabel('beta').uncheck();
  await page.locator('#cluster-name').fill('Office 2');
  await edit.getByRole('button', { name: 'Save cluster' }).click();
  await page.getByRole('heading', { name: 'Office 2', level: 1 }).waitFor();
  assert.deepEqual(await deviceRows.allTextContents(), ['alpha']);

  // Delete: back to the list, the devices stay.
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete cluster' }).getByRole('button', { name: 'Delete cluster' }).click();
  await page.waitForURL(`${server.url}/clusters`);
  await clusterCard(page, 'Garage').waitFor();
  assert.deepEqual(await names(), ['Garage']);
  const devices = await (await api(server, 'root', PASSWORD)).get('/api/devices');
  assert.equal(devices.count, 3);

  // An unknown cluster says so.
  await page.goto(`${server.url}/clusters/00000000-0000-4000-8000-000000000000`);
  await page.getByText('Cluster not found.').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a viewer sees clusters without controls, and its direct wake call is refused', async () => {
  const { context, page } = await signedIn('vic');
  await page.goto(`${server.url}/clusters`);
  await waitForHydration(page);
  await clusterCard(page, 'Garage').waitFor();
  assert.equal(await page.getByRole('button', { name: 'New cluster' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /Wake|Edit|Delete/ }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'viewers have no users page');
  const id = await clusterCard(page, 'Garage').getAttribute('data-cluster-id');
  const status = await page.evaluate(async (clusterId) => {
    const response = await fetch('/fn/wake_cluster', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ id: clusterId }),
    });
    return response.status;
  }, id);
  assert.equal(status, 403);
  await context.close();
});

test('users: a superuser adds, finds, edits and deletes; an admin gets only role controls', async () => {
  const { context, page, errors } = await signedIn('root');
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  const usernames = async () => page.locator('tbody tr th').allTextContents();
  assert.deepEqual(await usernames(), ['root you', 'adam', 'vic']);
  assert.equal(await page.locator('tr').filter({ hasText: 'root' }).getByRole('button', { name: 'Delete' }).count(), 0);

  // A short password is refused next to its field.
  await page.getByRole('button', { name: 'Add user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add user' });
  await page.locator('#user-username').fill('carol');
  await page.locator('#user-email').fill('carol@example.com');
  await page.locator('#user-full-name').fill('Carol Shaw');
  await page.locator('#user-password').fill('short');
  await dialog.getByRole('button', { name: 'Save user' }).click();
  await page.locator('#password-error').waitFor();
  await screenshot(page, 'user-dialog-error-desktop-light');
  await page.locator('#user-password').fill('Another-Horse-7');
  await page.locator('#user-role').selectOption('user');
  await dialog.getByRole('button', { name: 'Save user' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByText('Saved carol').waitFor();
  assert.deepEqual(await usernames(), ['root you', 'adam', 'vic', 'carol']);

  // Search and role filter.
  await page.locator('#user-search').fill('shaw');
  assert.deepEqual(await usernames(), ['carol']);
  await page.locator('#user-search').fill('');
  await page.locator('#filter-role').selectOption('admin');
  assert.deepEqual(await usernames(), ['adam']);
  await page.locator('#filter-role').selectOption('');

  // Edit: carol becomes a viewer and is deactivated.
  const carol = page.locator('tr').filter({ hasText: 'carol' });
  await carol.getByRole('button', { name: 'Edit' }).click();
  await page.locator('#user-role').selectOption('viewer');
  await page.locator('#user-active').uncheck();
  await page.getByRole('button', { name: 'Save user' }).click();
  await carol.getByText('Viewer').waitFor();
  await carol.getByText('Deactivated').waitFor();
  const cookies = await context.cookies();
  await screenshotAllWays(browser, `${server.url}/users`, 'users', {
    cookies, ready: (p) => p.locator('tbody tr').first().waitFor(),
  });

  // Delete after confirmation.
  await carol.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog', { name: 'Delete user' }).getByRole('button', { name: 'Delete user' }).click();
  await carol.waitFor({ state: 'detached' });
  assert.deepEqual(await usernames(), ['root you', 'adam', 'vic']);
  assert.deepEqual(errors, []);
  await context.close();

  // An admin: no "Add user", no delete, the superuser untouchable, and the
  // edit dialog offers role and state only.
  const admin = await signedIn('adam');
  await admin.page.goto(`${server.url}/users`);
  await waitForHydration(admin.page);
  await admin.page.locator('tbody tr').first().waitFor();
  assert.equal(await admin.page.getByRole('button', { name: 'Add user' }).count(), 0);
  assert.equal(await admin.page.getByRole('button', { name: 'Delete' }).count(), 0);
  assert.equal(await admin.page.locator('tr').filter({ hasText: 'root' }).getByRole('button', { name: 'Edit' }).count(), 0);
  await admin.page.locator('tr').filter({ hasText: 'vic' }).getByRole('button', { name: 'Edit' }).click();
  assert.equal(await admin.page.locator('#user-username').getAttribute('readonly'), '');
  assert.equal(await admin.page.locator('#user-password').count(), 0);
  const roles = await admin.page.locator('#user-role option').allTextContents();
  assert.deepEqual(roles, ['Admin', 'User', 'Viewer']);
  await admin.page.locator('#user-role').selectOption('user');
  await admin.page.getByRole('button', { name: 'Save user' }).click();
  await admin.page.locator('tr').filter({ hasText: 'vic' }).getByText('User', { exact: true }).waitFor();
  await admin.context.close();
});

test('settings: profile, password, single sign-on and about', async () => {
  const { context, page, errors } = await signedIn('adam');
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Single sign-on' }).count(), 0, 'superusers only');
  assert.match(await page.locator('#about-version').textContent(), /^\d+\.\d+\.\d+/);
  // Links out of the app load the page (the app's router does not take them).
  await page.locator('.panel').getByRole('link', { name: 'API documentation' }).click();
  await page.locator('.swagger-ui .info .title').waitFor();
  await page.goBack();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await waitForHydration(page);

  // Profile: a bad email is named, then a good one is saved.
  await page.locator('#profile-email').fill('not-an-email');
  await page.locator('#profile-full-name').fill('Adam Admin');
  await page.locator('#profile-form').getByRole('button', { name: 'Save profile' }).click();
  await page.locator('#email-error').waitFor();
  await page.locator('#profile-email').fill('adam@home.example');
  await page.locator('#profile-form').getByRole('button', { name: 'Save profile' }).click();
  await page.getByText('Profile saved').waitFor();

  // Password: the current one is checked, then the change holds.
  const form = page.locator('#password-form');
  await page.locator('#current_password').fill('wrong-password');
  await page.locator('#new_password').fill('Brand-New-Horse-9');
  await page.locator('#new_password_confirm').fill('Brand-New-Horse-8');
  await form.getByText('The passwords do not match.').waitFor();
  assert.equal(await form.getByRole('button', { name: 'Change password' }).isDisabled(), true);
  await page.locator('#new_password_confirm').fill('Brand-New-Horse-9');
  await form.getByRole('button', { name: 'Change password' }).click();
  await form.getByText('The current password is incorrect.').waitFor();
  await page.locator('#current_password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
  const again = await signedIn('adam', 'Brand-New-Horse-9');
  await again.context.close();

  // Single sign-on, as the superuser: enabling needs every field.
  const root = await signedIn('root');
  await root.page.goto(`${server.url}/settings`);
  await root.page.getByRole('heading', { name: 'Single sign-on' }).waitFor();
  await waitForHydration(root.page);
  await root.page.locator('#oidc-enabled').check();
  await root.page.getByRole('button', { name: 'Save single sign-on' }).click();
  await root.page.locator('#oidc-form .alert.error').filter({ hasText: 'To enable single sign-on' }).waitFor();
  await root.page.locator('#oidc-url').fill('https://id.example.com/.well-known/openid-configuration');
  await root.page.locator('#oidc-client-id').fill('powerbeacon');
  await root.page.locator('#oidc-client-secret').fill('s3cret');
  await root.page.getByRole('button', { name: 'Save single sign-on' }).click();
  await root.page.getByText('Single sign-on is on').waitFor();
  assert.equal(await root.page.locator('#oidc-client-secret').inputValue(), '', 'the secret is not kept on the page');
  const stored = await (await fetch(`${server.url}/api/config/oidc`)).json();
  assert.equal(stored.enabled, true);
  assert.equal(stored.client_secret_set, true);
  const cookies = await root.context.cookies();
  await screenshotAllWays(browser, `${server.url}/settings`, 'settings', {
    cookies, ready: (p) => p.locator('#profile-form').waitFor(),
  });
  await screenshotAllWays(browser, `${server.url}/no-such-page`, 'not-found', { cookies });
  await root.context.close();
});

/** Waits until `check()` holds (5 s at most). */
async function waitUntil(check) {
  for (let i = 0; i < 100 && !check(); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(check(), 'condition met in time');
}

test('a large fleet shows a page of cards at a time', async () => {
  const root = await api(server, 'root', PASSWORD);
  for (let i = 0; i < 70; i += 1) {
    const n = String(i).padStart(2, '0');
    await root.post('/api/devices', { name: `bulk-${n}`, mac_address: `02:00:00:00:0b:${n}` });
  }
  const { context, page, errors } = await signedIn('root');
  const cards = page.locator('.device-card');
  await page.getByText('73 of 73 devices').waitFor();
  assert.equal(await cards.count(), 36, 'one page rendered by the server');
  await page.getByRole('link', { name: 'Show 36 more' }).click();
  await page.getByText('1 not shown').waitFor();
  assert.equal(await cards.count(), 72);
  await page.getByRole('link', { name: 'Show 1 more' }).click();
  await page.getByRole('link', { name: /Show \d+ more/ }).waitFor({ state: 'detached' });
  assert.equal(await cards.count(), 73);
  assert.equal(page.url(), `${server.url}/dashboard`, 'more cards in place, no navigation');
  // A search starts again from one page, and counts what matches.
  await page.locator('#device-search').fill('bulk-6');
  await page.getByText('10 of 73 devices').waitFor();
  assert.equal(await cards.count(), 10);
  await page.locator('#device-search').fill('bulk');
  await page.getByText('70 of 73 devices').waitFor();
  assert.equal(await cards.count(), 36);
  assert.deepEqual(errors, []);
  await context.close();
});
