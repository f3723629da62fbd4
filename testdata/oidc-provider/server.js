// A real OpenID provider (panva/oidc-provider) for authdeck's integration
// tests. Started by internal/oidctest; not for any other use.
//
// Environment (all optional):
//   OIDC_PORT            port on 127.0.0.1 (default 0: any free port)
//   OIDC_ACCESS_TTL      access token lifetime in seconds (default 3600)
//   OIDC_DEVICE_TTL      device code lifetime in seconds (default 600)
//   OIDC_ID_TTL          ID token lifetime in seconds (default 3600)
//   OIDC_CLIENT_SECRET   secret of the confidential client "authdeck-secret"
//   OIDC_DEVICE_INTERVAL when > 0: device authorization answers carry this
//                        "interval", and a device_code poll arriving sooner
//                        than that after the previous poll of the same code
//                        gets "slow_down" (RFC 8628 section 3.5)
//   OIDC_SLOW_DOWN_POLLS when > 0: the first N device_code polls (of any code)
//                        get "slow_down", whatever their pace, before the
//                        provider sees them
//   OIDC_SERVICE_SECRET  secret of the confidential client "authdeck-service"
//                        (client_credentials and token exchange)
//   OIDC_EXCHANGE_KEY    HMAC key (base64url) of the test's "CI issuer": a
//                        token exchange (RFC 8693) accepts as subject token
//                        an HS256 JWT signed with it, with iss
//                        https://ci.oidctest.invalid and aud this issuer
//
// Resource indicators (RFC 8707): any resource under https://api.example
// is a resource server; its access tokens are JWTs with that audience.
//   OIDC_REVOKE_ACCESS_ONLY when 1: revoking an access token at
//                        /token/revocation revokes that token alone, not
//                        its whole login (RFC 7009 2.1 allows both)
//
// Once it listens, it prints one JSON line on stdout:
//   {"issuer":"http://127.0.0.1:PORT","port":PORT}
// It exits when stdin closes, so it never outlives the test that started it.
//
// GET /__test/stats answers how many token requests it received, per
// grant_type (counted whether they succeeded or not), and the extra
// parameters (prompt, login_hint, acr_values, audience, resource) of every
// authorization and device authorization request.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import * as querystring from 'node:querystring';

import Provider, { errors } from 'oidc-provider';
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
const idTTL = intFromEnv('OIDC_ID_TTL', 3600);
const deviceInterval = intFromEnv('OIDC_DEVICE_INTERVAL', 0);
let slowDownPolls = intFromEnv('OIDC_SLOW_DOWN_POLLS', 0);
const revokeAccessOnly = process.env.OIDC_REVOKE_ACCESS_ONLY === '1';
const clientSecret = process.env.OIDC_CLIENT_SECRET || randomBytes(24).toString('base64url');

const serviceSecret = process.env.OIDC_SERVICE_SECRET || randomBytes(24).toString('base64url');
const exchangeKey = process.env.OIDC_EXCHANGE_KEY ? Buffer.from(process.env.OIDC_EXCHANGE_KEY, 'base64url') : undefined;

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const CI_ISSUER = 'https://ci.oidctest.invalid';
const API_PREFIX = 'https://api.example';
const RECORDED = ['prompt', 'login_hint', 'acr_values', 'audience', 'resource'];

// Token requests received, by grant_type, and the time of each device_code
// poll (milliseconds since the epoch), for tests that check polling pace.
const stats = { token_requests: {}, device_polls: [], authorization_params: [] };

// recordParams keeps the extra parameters of an authorization request.
function recordParams(endpoint, params) {
  if (stats.authorization_params.length >= 1000) return;
  const got = { endpoint };
  for (const k of RECORDED) {
    if (params[k] !== undefined) got[k] = [].concat(params[k]);
  }
  stats.authorization_params.push(got);
}
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
    {
      client_id: 'authdeck-service',
      client_secret: serviceSecret,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials', EXCHANGE_GRANT],
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
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // A resource named at the authorization request is the one the
      // code's tokens are for.
      useGrantedResource: () => true,
      getResourceServerInfo,
    },
  },
  issueRefreshToken(ctx, client, code) {
    return client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access');
  },
  rotateRefreshToken: true,
  clockTolerance: 0,
  ttl: {
    AccessToken: accessTTL,
    ClientCredentials: accessTTL,
    DeviceCode: deviceTTL,
    IdToken: idTTL,
    RefreshToken: 14 * 24 * 60 * 60,
    Grant: 14 * 24 * 60 * 60,
    Session: 14 * 24 * 60 * 60,
    Interaction: 60 * 60,
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
};

async function getResourceServerInfo(ctx, resource) {
  if (resource !== API_PREFIX && !resource.startsWith(`${API_PREFIX}/`)) {
    throw new errors.InvalidTarget(`unknown resource ${resource}`);
  }
  return {
    scope: 'api:read',
    audience: resource,
    accessTokenTTL: accessTTL,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  };
}

// verifyCIToken checks an HS256 JWT of the test's CI issuer and returns its
// claims, or throws InvalidGrant saying what is wrong.
function verifyCIToken(token, audience) {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (!exchangeKey) throw new errors.InvalidGrant('no CI issuer is configured');
  if (parts.length !== 3) throw new errors.InvalidGrant('subject_token is not a JWT');
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new errors.InvalidGrant('subject_token is not a JWT');
  }
  const want = createHmac('sha256', exchangeKey).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (header.alg !== 'HS256' || got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new errors.InvalidGrant('subject_token signature is invalid');
  }
  if (claims.iss !== CI_ISSUER) throw new errors.InvalidGrant('subject_token issuer is not trusted');
  if (![].concat(claims.aud).includes(audience)) throw new errors.InvalidGrant('subject_token audience is not this issuer');
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) throw new errors.InvalidGrant('subject_token has expired');
  return claims;
}

const server = http.createServer();

server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  const issuer = `http://127.0.0.1:${actual}`;
  const provider = new Provider(issuer, configuration);

  // RFC 8693 token exchange, minimal: a CI issuer's JWT (subject_token_type
  // jwt or id_token) for an access token of the calling client.
  provider.registerGrantType(EXCHANGE_GRANT, async (ctx) => {
    const { client, params } = ctx.oidc;
    const types = ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'];
    if (!params.subject_token) throw new errors.InvalidRequest('missing required parameter subject_token');
    if (!types.includes(params.subject_token_type)) {
      throw new errors.InvalidRequest('unsupported subject_token_type');
    }
    const claims = verifyCIToken(params.subject_token, issuer);
    const token = new provider.ClientCredentials({ client, scope: undefined, extra: { sub: claims.sub } });
    const resources = [].concat(params.resource ?? []);
    if (resources.length > 1) throw new errors.InvalidTarget('only one resource is supported');
    if (resources.length === 1) token.resourceServer = await getResourceServerInfo(ctx, resources[0]);
    const value = await token.save();
    ctx.body = {
      access_token: value,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: token.expiration,
    };
  }, ['subject_token', 'subject_token_type', 'requested_token_type', 'audience', 'resource', 'scope', 'actor_token', 'actor_token_type'], ['resource']);

  // Last poll time per device code, for OIDC_DEVICE_INTERVAL.
  const lastPoll = new Map();

  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/__test/stats') {
      ctx.type = 'json';
      ctx.body = JSON.stringify(stats);
      return;
    }

    if (ctx.method === 'GET' && ctx.path === '/auth') {
      recordParams('authorization', ctx.query);
    }
    if (ctx.method === 'POST' && ctx.path === '/device/auth' && ctx.is('application/x-www-form-urlencoded')) {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      ctx.request.body = querystring.parse(Buffer.concat(chunks).toString('utf8'));
      recordParams('device_authorization', ctx.request.body);
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
