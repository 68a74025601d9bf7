// A stand-in for a PowerBeacon agent on 127.0.0.1: registers with the
// server through the API, records every /wol call and answers success. It
// never sends a packet anywhere.

import { createServer } from 'node:http';

export async function startFakeAgent(server, enrollmentKey, hostname) {
  const calls = [];
  const http = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/wol') {
        const parsed = JSON.parse(body);
        calls.push({ authorization: request.headers.authorization, body: parsed });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ success: true, message: `Magic packet sent to ${parsed.mac}` }));
      } else {
        response.writeHead(404);
        response.end();
      }
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address();
  const registration = await fetch(`${server.url}/api/agents/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      hostname, ip: '127.0.0.1', port, os: 'linux', version: '1.0.0', enrollment_key: enrollmentKey,
    }),
  });
  if (registration.status !== 201) throw new Error(`agent registration: ${registration.status} ${await registration.text()}`);
  const { agent_id: id } = await registration.json();
  return {
    id,
    calls,
    stop: () => new Promise((resolve) => http.close(resolve)),
  };
}
