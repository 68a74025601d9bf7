// Measures the browser side of the dashboard (issue 5's performance figures):
// the gzip size of the wasm, JS and CSS a first visit transfers, and the time
// from navigation to an interactive (hydrated) /dashboard holding 1000
// devices, in Debian Chromium. Not a test: run it against a release build.
//
//   cargo leptos build --release
//   PB_E2E_BIN=target/release/powerbeacon node end2end/perf/dashboard.js

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  addDevices, startServer, launchBrowser, api, createSuperuser, root, signIn,
} from '../support/harness.js';

const DEVICES = 1000;
const RUNS = 5;
/** Cards the dashboard renders before "Show more" (its PAGE_SIZE). */
const FIRST_PAGE = 60;
const PASSWORD = 'Correct-Horse-42';

const pkg = path.join(process.env.PB_E2E_SITE_ROOT ?? path.join(root, 'target', 'site'), 'pkg');
let total = 0;
for (const file of readdirSync(pkg).filter((f) => /\.(wasm|js|css)$/.test(f))) {
  const bytes = readFileSync(path.join(pkg, file));
  const gzip = gzipSync(bytes, { level: 9 }).length;
  total += gzip;
  console.log(`${file}: ${(bytes.length / 1024).toFixed(0)} KiB, gzip ${(gzip / 1024).toFixed(0)} KiB`);
}
console.log(`first visit transfers ${(total / 1024).toFixed(0)} KiB gzip of wasm + JS + CSS`);

const server = await startServer();
const browser = await launchBrowser();
try {
  await createSuperuser(server, 'root', PASSWORD);
  const rootApi = await api(server, 'root', PASSWORD);
  await addDevices(rootApi, DEVICES);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, server, 'root', PASSWORD);
  const times = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = Date.now();
    await page.goto(`${server.url}/dashboard`, { waitUntil: 'commit' });
    await page.waitForSelector('body[data-hydrated="true"]', { timeout: 60_000 });
    const interactive = Date.now() - started;
    // The grid shows its first page of cards; the count covers them all.
    const cards = await page.locator('.device-card').count();
    if (cards !== Math.min(DEVICES, FIRST_PAGE)) throw new Error(`${cards} cards shown`);
    await page.getByText(`${DEVICES} of ${DEVICES} devices`).waitFor();
    times.push(interactive);
  }
  times.sort((a, b) => a - b);
  console.log(`/dashboard with ${DEVICES} devices, navigation → hydrated: ${times.join(', ')} ms (median ${times[Math.floor(RUNS / 2)]} ms)`);
} finally {
  await browser.close();
  await server.stop();
}
