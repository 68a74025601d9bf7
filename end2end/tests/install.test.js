// Installable on a phone: every page links the web app manifest, the
// manifest is valid JSON with what "Add to home screen" needs, and each
// icon it names is served, as a PNG of the size it claims.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/harness.js';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

/** The width and height of a PNG, from its IHDR chunk. */
function pngSize(bytes) {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual([...bytes.subarray(0, 8)], signature, 'a PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return `${view.getUint32(16)}x${view.getUint32(20)}`;
}

test('every page links the manifest, which is valid and names served icons', async () => {
  const page = await (await fetch(`${server.url}/setup`)).text();
  assert.match(page, /<link rel="manifest" href="\/manifest.webmanifest"/);
  assert.match(page, /<link rel="apple-touch-icon" href="\/icons\/apple-touch-icon.png"/);
  assert.match(page, /<meta name="theme-color" content="#ffffff" media="\(prefers-color-scheme: light\)"/);
  assert.match(page, /<meta name="theme-color" content="#111827" media="\(prefers-color-scheme: dark\)"/);

  const response = await fetch(`${server.url}/manifest.webmanifest`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/manifest+json');
  assert.equal(response.headers.get('cache-control'), 'no-cache');
  const manifest = await response.json();
  assert.equal(manifest.name, 'PowerBeacon');
  assert.ok(manifest.short_name.length <= 12, 'a short name that fits under an icon');
  assert.equal(manifest.display, 'standalone');
  assert.equal(manifest.start_url, '/dashboard');
  assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/);
  assert.match(manifest.background_color, /^#[0-9a-f]{6}$/);

  const sizes = new Set();
  for (const icon of manifest.icons) {
    const answer = await fetch(`${server.url}${icon.src}`);
    assert.equal(answer.status, 200, icon.src);
    assert.equal(answer.headers.get('content-type'), icon.type, icon.src);
    if (icon.type === 'image/png') {
      assert.equal(pngSize(new Uint8Array(await answer.arrayBuffer())), icon.sizes, icon.src);
      sizes.add(`${icon.sizes} ${icon.purpose}`);
    }
  }
  for (const needed of ['192x192 any', '512x512 any', '512x512 maskable']) {
    assert.ok(sizes.has(needed), `an icon ${needed}`);
  }
  const touch = await fetch(`${server.url}/icons/apple-touch-icon.png`);
  assert.equal(pngSize(new Uint8Array(await touch.arrayBuffer())), '180x180');
  assert.equal((await fetch(`${server.url}/icons/none.png`)).status, 404);
});
