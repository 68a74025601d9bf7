// An OpenID Connect identity provider on 127.0.0.1 for the single sign-on
// browser test: discovery, JWKS, /authorize (signs the person in at once and
// sends the browser back with a code) and /token (checks the code, the PKCE
// verifier and the client's credentials, then issues an RS256 ID token).
// Its RSA key is made when it starts and never leaves the process.

import { createServer } from 'node:http';
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';

const base64url = (data) => Buffer.from(data).toString('base64url');

export async function startFakeIssuer({ clientId, clientSecret, person }) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'e2e-key', alg: 'RS256', use: 'sig' };
  const grants = new Map();
  let issuer;

  const idToken = (claims) => {
    const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: jwk.kid }));
    const body = base64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${body}`), privateKey);
    return `${header}.${body}.${base64url(signature)}`;
  };

  const json = (response, status, value) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(value));
  };

  const http = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      const url = new URL(request.url, issuer);
      if (url.pathname === '/.well-known/openid-configuration') {
        json(response, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      } else if (url.pathname === '/jwks') {
        json(response, 200, { keys: [jwk] });
      } else if (url.pathname === '/authorize') {
        const q = url.searchParams;
        if (q.get('client_id') !== clientId || q.get('code_challenge_method') !== 'S256') {
          json(response, 400, { error: 'invalid_request' });
          return;
        }
        const code = randomUUID();
        grants.set(code, {
          nonce: q.get('nonce'), challenge: q.get('code_challenge'), redirectUri: q.get('redirect_uri'),
        });
        const back = new URL(q.get('redirect_uri'));
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state'));
        response.writeHead(302, { location: back.toString() });
        response.end();
      } else if (url.pathname === '/token' && request.method === 'POST') {
        const form = new URLSearchParams(body);
        const expected = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
        const grant = grants.get(form.get('code'));
        grants.delete(form.get('code'));
        const challenge = base64url(createHash('sha256').update(form.get('code_verifier') ?? '').digest());
        if (request.headers.authorization !== expected || !grant || grant.challenge !== challenge
          || grant.redirectUri !== form.get('redirect_uri')) {
          json(response, 400, { error: 'invalid_grant' });
          return;
        }
        const now = Math.floor(Date.now() / 1000);
        json(response, 200, {
          access_token: 'access-token',
          token_type: 'Bearer',
          expires_in: 3600,
          id_token: idToken({
            iss: issuer, aud: clientId, sub: person.subject, iat: now, exp: now + 300, nonce: grant.nonce,
            preferred_username: person.username, email: person.email, email_verified: true, name: person.name,
          }),
        });
      } else {
        response.writeHead(404);
        response.end();
      }
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${http.address().port}`;
  return {
    issuer,
    metadataUrl: `${issuer}/.well-known/openid-configuration`,
    stop: () => new Promise((resolve) => http.close(resolve)),
  };
}
