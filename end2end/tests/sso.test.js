// Single sign-on in a real browser: "Sign in with SSO" on the sign-in page
// goes to an identity provider the test starts on 127.0.0.1 and comes back
// signed in, on the dashboard, with an account made from the provider's
// claims; the settings show it has no PowerBeacon password.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launchBrowser, screenshot, screenshotAllWays, waitForHydration, api, createSuperuser,
} from '../support/harness.js';
import { startFakeIssuer } from '../support/fake-issuer.js';

const PASSWORD = 'Correct-Horse-42';
let server;
let browser;
let issuer;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await createSuperuser(server, 'root', PASSWORD);
  issuer = await startFakeIssuer({
    clientId: 'powerbeacon',
    clientSecret: 's3cret',
    person: { subject: 'e2e-1', username: 'carol', email: 'carol@idp.example', name: 'Carol SSO' },
  });
  const root = await api(server, 'root', PASSWORD);
  await root.put('/api/config/oidc', {
    enabled: true, server_metadata_url: issuer.metadataUrl, client_id: 'powerbeacon', client_secret: 's3cret',
  });
});

after(async () => {
  await issuer?.stop();
  await browser?.close();
  await server?.stop();
});

test('"Sign in with SSO" goes to the provider and lands on the dashboard', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}/login`);
  await waitForHydration(page);
  await screenshotAllWays(browser, `${server.url}/login`, 'login-sso');

  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.waitForURL(`${server.url}/dashboard`);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  assert.equal(await page.locator('.user-menu .user-name').textContent(), 'carol');
  assert.ok(!page.url().includes('code='), 'no code or token in the address');
  const cookies = await context.cookies();
  assert.ok(cookies.some((c) => c.name === 'pb_session' && c.httpOnly));

  // The account came from the claims, as a viewer, without a password.
  await page.goto(`${server.url}/settings`);
  await page.getByText('This account signs in through single sign-on').waitFor();
  assert.equal(await page.locator('#profile-full-name').inputValue(), 'Carol SSO');
  assert.equal(await page.getByRole('link', { name: 'Agents' }).count(), 0, 'viewers see no agents');
  await screenshot(page, 'settings-sso-account-desktop-light');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a sign-in the provider refuses lands on the sign-in page with a message', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}/api/auth/callback?error=access_denied&state=x`);
  await page.waitForURL(`${server.url}/login?error=sso_denied`);
  await page.getByText('The identity provider did not sign you in.').waitFor();
  await page.close();
});
