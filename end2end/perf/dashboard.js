// Measures the browser side of the dashboard: the gzip size of the wasm, JS
// and CSS files built, the time from navigation to an interactive
// (hydrated) /dashboard holding PB_PERF_DEVICES devices (1000 unless set),
// and the time from a keystroke in the search to the cards it finds, in
// Debian Chromium. Not a test: run it against a release build.
//
//   cargo leptos build --release --precompress --split
//   PB_E2E_BIN=target/release/powerbeacon node end2end/perf/dashboard.js

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  addDevices, startServer, launchBrowser, api, createSuperuser, root, signIn,
} from '../support/harness.js';

const DEVICES = Number(process.env.PB_PERF_DEVICES ?? 1000);
const RUNS = 5;
/** Cards the dashboard renders before "Show more" (its PAGE_SIZE). */
const FIRST_PAGE = 36;
const PASSWORD = 'Correct-Horse-42';

const pkg = path.join(process.env.PB_E2E_SITE_ROOT ?? path.join(root, 'target', 'site'), 'pkg');
let total = 0;
for (const file of readdirSync(pkg).filter((f) => /\.(wasm|js|css)$/.test(f))) {
  const bytes = readFileSync(path.join(pkg, file));
  const gzip = gzipSync(bytes, { level: 9 }).length;
  total += gzip;
  console.log(`${file}: ${(bytes.length / 1024).toFixed(0)} KiB, gzip ${(gzip / 1024).toFixed(0)} KiB`);
}
console.log(`every page together: ${(total / 1024).toFixed(0)} KiB gzip of wasm + JS + CSS (a first visit loads the core and its page: end2end/tests/size.test.js)`);

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

  // Each keystroke narrows the search; the time until the count shows it.
  const search = page.locator('#device-search');
  const count = page.locator('.result-count');
  const keystrokes = [];
  for (let run = 0; run < RUNS; run += 1) {
    await search.fill('device-');
    await count.filter({ hasText: `${DEVICES} of ${DEVICES}` }).waitFor();
    for (const key of ['4', '2', '1']) {
      const before = await count.textContent();
      const started = Date.now();
      await search.press(key);
      await page.waitForFunction(
        (previous) => document.querySelector('.result-count')?.textContent !== previous,
        before,
      );
      keystrokes.push(Date.now() - started);
    }
  }
  keystrokes.sort((a, b) => a - b);
  const median = keystrokes[Math.floor(keystrokes.length / 2)];
  console.log(`search, keystroke → cards: median ${median} ms, worst ${keystrokes.at(-1)} ms (${keystrokes.length} keystrokes)`);
} finally {
  await browser.close();
  await server.stop();
}
