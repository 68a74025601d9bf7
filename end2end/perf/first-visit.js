// What a first visit moves on the wire, as Chromium counts it (response
// headers and bodies as sent, after compression), from a cold cache: the
// sign-in page, and the dashboard of a fleet of DEVICES devices, each until
// the page is hydrated. Lists every response. Not a test: run it against a
// release build (`make run` builds one, with precompressed assets):
//
//   cargo leptos build --release --precompress
//   PB_E2E_BIN=target/release/powerbeacon node end2end/perf/first-visit.js

import {
  addDevices, startServer, launchBrowser, api, createSuperuser, signIn, waitForHydration,
} from '../support/harness.js';

const DEVICES = Number(process.env.PB_PERF_DEVICES ?? 1000);
const PASSWORD = 'Correct-Horse-42';

/** Loads `url` in a fresh page of `context`; the bytes of every response. */
async function visit(context, url) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const urls = new Map();
  const sizes = [];
  cdp.on('Network.responseReceived', (event) => urls.set(event.requestId, event.response.url));
  cdp.on('Network.loadingFinished', (event) => {
    sizes.push({ url: urls.get(event.requestId) ?? '?', bytes: event.encodedDataLength });
  });
  await page.goto(url, { waitUntil: 'load' });
  await waitForHydration(page);
  await page.waitForLoadState('networkidle');
  await page.close();
  return sizes;
}

function report(name, sizes) {
  const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
  console.log(`${name}: ${total} bytes on the wire (${(total / 1024).toFixed(0)} KiB)`);
  for (const { url, bytes } of sizes.sort((a, b) => b.bytes - a.bytes)) {
    console.log(`  ${String(bytes).padStart(9)}  ${new URL(url).pathname}`);
  }
}

const server = await startServer();
const browser = await launchBrowser();
try {
  await createSuperuser(server, 'root', PASSWORD);
  const anonymous = await browser.newContext();
  report('/login', await visit(anonymous, `${server.url}/login`));

  const rootApi = await api(server, 'root', PASSWORD);
  await addDevices(rootApi, DEVICES);
  const signedIn = await browser.newContext();
  const page = await signedIn.newPage();
  await signIn(page, server, 'root', PASSWORD);
  await page.close();
  report(`/dashboard with ${DEVICES} devices`, await visit(signedIn, `${server.url}/dashboard`));
} finally {
  await browser.close();
  await server.stop();
}
