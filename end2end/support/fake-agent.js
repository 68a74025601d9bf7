// A stand-in for a PowerBeacon agent on 127.0.0.1: registers with the
// server through the API (announcing `features`), records every /wol call
// and answers success, saying what it sent as this project's agent does;
// with `presence`, it reports what it "sees" through `report`; `beat`
// keeps it online with heartbeats. It never sends a packet anywhere.

import { createServer } from 'node:http';

export async function startFakeAgent(server, enrollmentKey, hostname, { features = [] } = {}) {
  const calls = [];
  const http = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/wol') {
        const parsed = JSON.parse(body);
        calls.push({ authorization: request.headers.authorization, body: parsed });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({
          success: true,
          message: `Magic packet sent to ${parsed.mac}`,
          sent: { interface: 'eth0', destination: parsed.broadcast, port: parsed.port, packets: 3, bytes: 102 },
        }));
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
      features,
    }),
  });
  if (registration.status !== 201) throw new Error(`agent registration: ${registration.status} ${await registration.text()}`);
  const { agent_id: id, token } = await registration.json();
  /** Reports that device `deviceId` is `state` (up or down) now. */
  const report = async (deviceId, state) => {
    const response = await fetch(`${server.url}/api/agents/presence`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        agent_id: id,
        sightings: [{ device_id: deviceId, state, method: 'neighbor', address: '192.0.2.10', age_ms: 0 }],
      }),
    });
    if (response.status !== 200) throw new Error(`presence report: ${response.status} ${await response.text()}`);
  };
  /** Sends one heartbeat. */
  const heartbeat = async () => {
    const response = await fetch(`${server.url}/api/agents/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ agent_id: id }),
    });
    if (!response.ok) throw new Error(`heartbeat: ${response.status} ${await response.text()}`);
  };
  let beating;
  return {
    id,
    calls,
    report,
    heartbeat,
    /** Sends a heartbeat every `ms` until `stop` or `quiet`. */
    beat: (ms) => { beating = setInterval(() => heartbeat().catch(() => {}), ms); },
    /** Stops the heartbeats: the server reads it offline after its timeout. */
    quiet: () => clearInterval(beating),
    stop: () => {
      clearInterval(beating);
      return new Promise((resolve) => http.close(resolve));
    },
  };
}
