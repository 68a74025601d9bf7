// First visit: `/` leads to the setup page, which is server-rendered,
// styled, and hydrated into an interactive form.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, screenshot, screenshotAllWays, waitForHydration,
} from '../support/harness.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a fresh instance sends the first visitor to the setup page, which hydrates', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));

  const response = await page.goto(`${server.url}/`);
  assert.equal(response.status(), 200);
  assert.equal(new URL(page.url()).pathname, '/setup');
  assert.equal(await page.title(), 'Set up · PowerBeacon');

  // The stylesheet is served and applied.
  const cardRadius = await page.locator('.card').evaluate((el) => getComputedStyle(el).borderTopLeftRadius);
  assert.equal(cardRadius, '10px');
  // The favicon is served.
  const favicon = await page.request.get(`${server.url}/favicon.svg`);
  assert.equal(favicon.status(), 200);

  await waitForHydration(page);
  await screenshotAllWays(browser, `${server.url}/setup`, 'setup');

  // Hydration made the page interactive: the reveal button toggles the fields.
  const password = page.locator('#password');
  assert.equal(await password.getAttribute('type'), 'password');
  await page.getByRole('button', { name: 'Show' }).click();
  assert.equal(await password.getAttribute('type'), 'text');
  assert.equal(await page.locator('#password_confirm').getAttribute('type'), 'text');
  await page.getByRole('button', { name: 'Hide' }).click();
  assert.equal(await password.getAttribute('type'), 'password');

  // The strength meter and the confirmation check react as one types.
  await password.fill('short');
  assert.equal(await page.locator('#password-strength .label').textContent(), 'Too short');
  await password.fill('Correct-Horse-42');
  assert.equal(await page.locator('#password-strength .label').textContent(), 'Strong');
  await page.locator('#password_confirm').fill('Correct-Horse-4');
  await page.getByText('The passwords do not match.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create account' }).isDisabled(), true);
  await page.locator('#password_confirm').fill('Correct-Horse-42');
  assert.equal(await page.getByRole('button', { name: 'Create account' }).isDisabled(), false);

  // Submitting creates the first account through the server function.
  await page.locator('#username').fill('admin');
  await page.locator('#email').fill('admin@example.com');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('PowerBeacon is ready.').waitFor();
  assert.equal(await page.locator('#setup-account').count(), 0, 'the form gives way to the result');
  // Step 2: single sign-on, checked by the server; a bad URL is named.
  await page.getByRole('heading', { name: /Single sign-on/ }).waitFor();
  await page.locator('#oidc-enabled').check();
  await page.locator('#oidc-url').fill('not a url');
  await page.locator('#oidc-client-id').fill('powerbeacon');
  await page.locator('#oidc-client-secret').fill('s3cret');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.locator('#server_metadata_url-error').waitFor();
  await screenshot(page, 'setup-sso-error-desktop-light');
  await page.locator('#oidc-url').fill('https://id.example.com/.well-known/openid-configuration');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  // Step 3: the install command for the first agent, with a fresh key.
  await page.getByRole('button', { name: 'Create the install command' }).click();
  assert.match(
    await page.locator('#setup-install-command').inputValue(),
    /^curl -fsSL 'http:\/\/127\.0\.0\.1:\d+\/install-agent\.sh' \| sudo sh -s -- --server 'http:\/\/127\.0\.0\.1:\d+' --key 'pbek_[0-9a-f]+'$/,
  );
  await screenshot(page, 'setup-done-desktop-light');
  // The wizard ends signed in, on the dashboard.
  await page.getByRole('link', { name: 'Go to the dashboard' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();

  const status = await (await page.request.get(`${server.url}/api/setup/status`)).json();
  assert.deepEqual(status, { is_setup_complete: true, user_count: 1 });
  const sso = await (await page.request.get(`${server.url}/api/config/oidc`)).json();
  assert.deepEqual(sso, {
    enabled: true,
    server_metadata_url: 'https://id.example.com/.well-known/openid-configuration',
    client_id: 'powerbeacon',
    client_secret_set: true,
    default_role: 'viewer',
  });
  assert.deepEqual(errors, []);
  await page.close();
});

test('Swagger UI renders from the binary, also on a phone in dark mode', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
  await page.goto(`${server.url}/api/docs/`);
  await page.locator('.swagger-ui .info .title').filter({ hasText: 'PowerBeacon API' }).waitFor();
  await page.getByText('/api/setup/status').first().waitFor();
  await screenshot(page, 'api-docs-phone-dark');
  await page.close();
});
