// A real OpenID provider (panva/oidc-provider) for authdeck's integration
// tests. Started by internal/oidctest; not for any other use.
//
// Environment (all optional):
//   OIDC_PORT            port on 127.0.0.1 (default 0: any free port)
//   OIDC_ACCESS_TTL      access token lifetime in seconds (default 3600)
//   OIDC_DEVICE_TTL      device code lifetime in seconds (default 600)
//   OIDC_CLIENT_SECRET   secret of the confidential client "authdeck-secret"
//   OIDC_DEVICE_INTERVAL when > 0: device authorization answers carry this
//                        "interval", and a device_code poll arriving sooner
//                        than that after the previous poll of the same code
//                        gets "slow_down" (RFC 8628 section 3.5)
//   OIDC_SLOW_DOWN_POLLS when > 0: the first N device_code polls (of any code)
//                        get "slow_down", whatever their pace, before the
//                        provider sees them
//   OIDC_REVOKE_ACCESS_ONLY when 1: revoking an access token at
//                        /token/revocation revokes that token alone, not
//                        its whole login (RFC 7009 2.1 allows both)
//
// Once it listens, it prints one JSON line on stdout:
//   {"issuer":"http://127.0.0.1:PORT","port":PORT}
// It exits when stdin closes, so it never outlives the test that started it.
//
// GET /__test/stats answers how many token requests it received, per
// grant_type (counted whether they succeeded or not).

import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as querystring from 'node:querystring';

import Provider from 'oidc-provider';
// oidc-provider's own in-memory adapter, given a store of ours (below).
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`${name} must be a whole number of seconds, got ${JSON.stringify(raw)}\n`);
    process.exit(2);
  }
  return n;
}

const port = intFromEnv('OIDC_PORT', 0);
const accessTTL = intFromEnv('OIDC_ACCESS_TTL', 3600);
const deviceTTL = intFromEnv('OIDC_DEVICE_TTL', 600);
const deviceInterval = intFromEnv('OIDC_DEVICE_INTERVAL', 0);
let slowDownPolls = intFromEnv('OIDC_SLOW_DOWN_POLLS', 0);
const revokeAccessOnly = process.env.OIDC_REVOKE_ACCESS_ONLY === '1';
const clientSecret = process.env.OIDC_CLIENT_SECRET || randomBytes(24).toString('base64url');

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

// Token requests received, by grant_type, and the time of each device_code
// poll (milliseconds since the epoch), for tests that check polling pace.
const stats = { token_requests: {}, device_polls: [] };
function countTokenRequest(grantType) {
  const key = grantType || '(none)';
  stats.token_requests[key] = (stats.token_requests[key] || 0) + 1;
  if (key === DEVICE_GRANT && stats.device_polls.length < 10000) {
    stats.device_polls.push(Date.now());
  }
}

// The stock in-memory store forgets a record the moment it expires (with
// clockTolerance 0), so an expired device code would answer invalid_grant
// instead of expired_token, and it holds at most 1000 records. This store
// keeps records RETAIN seconds past their expiry (the models still check
// "exp" themselves, so nothing expired is ever accepted) and has no size cap:
// a test provider lives for one test.
const RETAIN = 600;
class Store {
  #m = new Map();

  get(key) {
    const e = this.#m.get(key);
    if (e === undefined) return undefined;
    if (e.until !== undefined && e.until <= Date.now()) {
      this.#m.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key, value, options) {
    const until = options?.maxAge === undefined ? undefined : Date.now() + options.maxAge;
    this.#m.set(key, { value, until });
  }

  delete(key) {
    this.#m.delete(key);
  }
}
const store = new Store();

function titleCase(login) {
  return login.charAt(0).toUpperCase() + login.slice(1);
}

const configuration = {
  adapter: (model) => new MemoryAdapter(model, store, RETAIN),
  clients: [
    {
      client_id: 'authdeck-cli',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'authdeck-web',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // Native loopback redirect: any port is accepted (RFC 8252 section 7.3).
      redirect_uris: ['http://127.0.0.1/callback'],
    },
    {
      client_id: 'authdeck-secret',
      client_secret: clientSecret,
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    },
  ],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          preferred_username: id,
          name: titleCase(id),
          email: `${id}@example.test`,
          email_verified: true,
        };
      },
    };
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  // Put the profile claims in the ID token too, so clients that read the
  // account from the ID token can be tested.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    userinfo: { enabled: true },
  },
  issueRefreshToken(ctx, client, code) {
    return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
  },
  rotateRefreshToken: true,
  clockTolerance: 0,
  ttl: {
    AccessToken: accessTTL,
    DeviceCode: deviceTTL,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 60 * 60,
    Grant: 14 * 24 * 60 * 60,
    Session: 14 * 24 * 60 * 60,
    Interaction: 60 * 60,
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
};

const server = http.createServer();

server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  const issuer = `http://127.0.0.1:${actual}`;
  const provider = new Provider(issuer, configuration);

  // Last poll time per device code, for OIDC_DEVICE_INTERVAL.
  const lastPoll = new Map();

  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/__test/stats') {
      ctx.type = 'json';
      ctx.body = JSON.stringify(stats);
      return;
    }

    if (revokeAccessOnly && ctx.method === 'POST' && ctx.path === '/token/revocation'
      && ctx.is('application/x-www-form-urlencoded')) {
      // Revoke an access token alone (oidc-provider would revoke every
      // token of its grant); anything else goes on to the provider.
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      const body = querystring.parse(Buffer.concat(chunks).toString('utf8'));
      ctx.request.body = body;
      const at = typeof body.token === 'string' ? await provider.AccessToken.find(body.token) : undefined;
      if (at && at.clientId === body.client_id) {
        await at.destroy();
        ctx.status = 200;
        ctx.body = '';
        return;
      }
      await next();
      return;
    }

    if (ctx.method !== 'POST' || ctx.path !== '/token') {
      await next();
      if (deviceInterval > 0 && ctx.method === 'POST' && ctx.path === '/device/auth'
        && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
        ctx.body.interval = deviceInterval;
      }
      return;
    }

    if ((deviceInterval > 0 || slowDownPolls > 0) && ctx.is('application/x-www-form-urlencoded')) {
      // Read the body here (oidc-provider then uses ctx.request.body) to see
      // which device code is polled before the token endpoint runs.
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      const body = querystring.parse(Buffer.concat(chunks).toString('utf8'));
      ctx.request.body = body;
      if (body.grant_type === DEVICE_GRANT && typeof body.device_code === 'string') {
        const now = Date.now();
        const prev = lastPoll.get(body.device_code);
        lastPoll.set(body.device_code, now);
        const forced = slowDownPolls > 0;
        if (forced) slowDownPolls -= 1;
        if (forced || (deviceInterval > 0 && prev !== undefined && now - prev < deviceInterval * 1000)) {
          countTokenRequest(body.grant_type);
          ctx.status = 400;
          ctx.set('Cache-Control', 'no-store');
          ctx.body = { error: 'slow_down', error_description: 'polling faster than the interval' };
          return;
        }
      }
    }

    await next();
    countTokenRequest(ctx.oidc?.params?.grant_type ?? ctx.request.body?.grant_type);
  });

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer, port: actual })}\n`);
});

server.on('error', (err) => {
  process.stderr.write(`oidc-provider test server: ${err.message}\n`);
  process.exit(1);
});

// Exit when the parent goes away (it holds our stdin open).
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
