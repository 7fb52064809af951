/**
 * The gateway: a Fastify app built separately from `listen` so tests can use `inject()`.
 * Every `/v1` route is authenticated: by API key + HMAC, or, for partner pushes, by the
 * partner's own signature scheme verified in its connector.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { WaygateError } from '../domain/index.js';
import { createAjv } from '../domain/validation.js';
import { apiKeyAuth, authorize } from './auth.js';
import { checkBodyShape, DEFAULT_BODY_SHAPE } from './body-shape.js';
import { installCallAudit } from './call-audit.js';
import { installRequestLog, requestIdFor } from './request-log.js';
import { errorHandler, sendError } from './errors.js';
import { DEFAULT_ADMISSION, createAdmission } from './admission.js';
import { installAuthThrottle } from './auth-throttle.js';
import { orderRoutes } from './routes/orders.js';
import { trackingRoutes } from './routes/tracking.js';
import { labelRoutes } from './routes/labels.js';
import { partnerRoutes } from './routes/partners.js';
import { healthRoutes } from './routes/health.js';
import { dlqRoutes } from './routes/dlq.js';
import { privacyRoutes } from './routes/privacy.js';
import { settlementRoutes } from './routes/settlement.js';
import { inventoryRoutes } from './routes/inventory.js';
import { snapshotRoutes } from './routes/snapshots.js';
import { inboundRoutes } from './routes/inbounds.js';
import { returnRoutes } from './routes/returns.js';
import { productRoutes } from './routes/products.js';
import { customsRoutes } from './routes/customs.js';
import { authRoutes } from './routes/auth.js';
import { userRoutes } from './routes/users.js';
import { AccountService } from '../security/accounts.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { partnerHealthRoutes } from './routes/partner-health.js';
import { metricsRoutes } from './routes/metrics.js';
import { consoleRoutes } from './console.js';
import { statsRoutes } from './routes/stats.js';
import { operationsRoutes } from './routes/operations.js';
import type { GatewayDeps } from './types.js';

/** Generous defaults: the limits that matter are set per key; these stop runaway callers. */
const DEFAULT_RATES = { key: 600_000, partner: 600_000, anonymous: 6_000 };

/** Throws on any byte sequence that is not UTF-8 (and keeps a leading BOM, dropped explicitly). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const JSON_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

/** The /docs front page: how to sign a request, as a complete copy-paste example. */
const API_DESCRIPTION = [
  'Cross-border logistics interface hub. Machine callers sign every /v1 request with their API key:',
  '',
  '`X-Waygate-Signature = hex(HMAC-SHA256(secret, timestamp \\n nonce \\n METHOD \\n path_with_query \\n hex(sha256(body))))`',
  '',
  'with `X-Api-Key` (the key id), `X-Waygate-Timestamp` (unix seconds, ±300 s) and `X-Waygate-Nonce` (unique per request).',
  'A complete signed request in shell (`examples/post-order.sh` in the repository; `examples/post-order.ts` does the same with fetch):',
  '',
  '```sh',
  'ts=$(date +%s); nonce=$(openssl rand -hex 16)',
  "hash=$(openssl dgst -sha256 -hex < order.json | sed 's/^.*= //')",
  'sig=$(printf \'%s\\n%s\\n%s\\n%s\\n%s\' "$ts" "$nonce" POST /v1/orders "$hash" | openssl dgst -sha256 -hmac "$WAYGATE_KEY_SECRET" -hex | sed \'s/^.*= //\')',
  'curl -i -X POST "$WAYGATE_URL/v1/orders" -H "Content-Type: application/json" -H "X-Api-Key: $WAYGATE_KEY_ID" \\',
  '  -H "X-Waygate-Timestamp: $ts" -H "X-Waygate-Nonce: $nonce" -H "X-Waygate-Signature: $sig" --data-binary @order.json',
  '```',
  '',
  'The example order is under POST /v1/orders. Every answer carries `X-Request-Id`; error bodies repeat it as `error.requestId`.',
].join('\n');

export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.tls
      ? { https: { key: deps.tls.key, cert: deps.tls.cert, minVersion: 'TLSv1.2' as const } }
      : {}),
    ...(deps.trustProxy ? { trustProxy: deps.trustProxy } : {}),
    // Fastify's own per-request lines (info) stay below its level: request-log.ts writes one line
    // per request, with the route pattern rather than the URL, and the caller.
    loggerInstance: (deps.logger
      ? deps.logger.child({ component: 'gateway' }, { level: 'warn' })
      : undefined) as FastifyBaseLogger | undefined,
    genReqId: requestIdFor,
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    return503OnClosing: true,
  });

  // Bodies are validated as sent (no type coercion); query strings arrive as text and are coerced.
  const bodyAjv = createAjv({ useDefaults: true });
  const queryAjv = createAjv({ coerceTypes: true, useDefaults: true });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodyAjv.compile(schema) : queryAjv.compile(schema),
  );

  // The body is kept as the bytes received: every signature (API keys, partner pushes) is checked
  // over them. Lenient decoding would map different byte strings (an invalid sequence, U+FFFD
  // itself) to one text, so a signature over the text would vouch for bytes nobody signed:
  // the text is decoded strictly, and a body that is not UTF-8 is refused before anything else.
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    let text: string;
    try {
      text = STRICT_UTF8.decode(bytes);
    } catch {
      return done(new WaygateError('invalid_encoding', 'the body is not valid UTF-8'), undefined);
    }
    req.rawBytes = bytes;
    // A leading byte-order mark stays in rawBytes (it was signed) and is dropped from the text.
    req.rawBody = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (req.rawBody.length === 0) return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.rawBody);
    } catch (err) {
      return done(
        new WaygateError('invalid_json', `the body is not valid JSON: ${(err as Error).message}`),
        undefined,
      );
    }
    const shapeError = checkBodyShape(parsed, DEFAULT_BODY_SHAPE);
    if (shapeError) return done(new WaygateError('body_too_complex', shapeError), undefined);
    done(null, parsed);
  });
  app.setErrorHandler(errorHandler);
  installRequestLog(app, deps.logger || undefined);
  if (deps.onRoute) {
    const inventory = deps.onRoute;
    app.addHook('onRoute', (r) => {
      const config = r.config as { auth?: string; permission?: string } | undefined;
      for (const method of [r.method].flat()) {
        inventory({
          method,
          url: r.url,
          ...(config?.auth ? { auth: config.auth } : {}),
          ...(config?.permission ? { permission: config.permission } : {}),
        });
      }
    });
  }
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 'route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`),
  );

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Waygate API',
        version: '1',
        description: API_DESCRIPTION,
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          signature: { type: 'apiKey', in: 'header', name: 'X-Waygate-Signature' },
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'session token from POST /v1/auth/login',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  // Security headers on every answer [004-5]; no CORS headers at all: browsers from other
  // origins are refused by default, and a deployment that needs them adds an explicit allow-list.
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });

  const admission = createAdmission(
    deps.admission ?? (() => DEFAULT_ADMISSION),
    deps.backlog ?? (async () => 0),
  );
  app.decorate('admission', { inFlight: admission.inFlight, capacity: admission.capacity });

  const accounts = deps.accounts ?? new AccountService({ store: deps.store, box: deps.box });
  const sessions = deps.sessions ?? ((token: string) => accounts.resolveSession(token));
  const auth = apiKeyAuth({ store: deps.store, box: deps.box, sessions, log: app.log });
  const throttle = installAuthThrottle(app, {
    store: deps.store,
    log: app.log,
    ...(deps.authFailures ? { limits: deps.authFailures } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  // A throttled address or credential is refused before anything is verified. Work routes admit
  // their work themselves (admission.run), after this hook has authenticated the caller.
  app.addHook('preValidation', async (req, reply) => {
    if (!req.url.startsWith('/v1/')) return;
    const mode = req.routeOptions.config?.auth ?? 'api_key';
    if (mode === 'partner') return;
    if (throttle.refuse(req, reply, mode)) return;
    if (mode !== 'api_key') return;
    await auth.authenticate(req, reply);
    if (reply.sent) return;
    await authorize(req, reply);
  });

  // Per-caller call-rate limits [000-15]: a key's own limit, else the default. Partner pushes
  // (verified by the partner's signature in the route, after this hook) count per partner: a
  // carrier pushes thousands of events a minute from one address. Everyone else without a key
  // is counted per address (login attempts).
  const rates = deps.defaultRatePerMinute ?? DEFAULT_RATES;
  const partnerOf = (req: FastifyRequest) =>
    req.routeOptions.config?.auth === 'partner'
      ? (req.params as { partnerId?: string }).partnerId
      : undefined;
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    timeWindow: 60_000,
    keyGenerator: (req) => {
      if (req.caller) return `${req.caller.kind}:${req.caller.id}`;
      const partner = partnerOf(req);
      return partner ? `partner:${partner}` : `ip:${req.ip}`;
    },
    max: (req) => {
      if (req.caller) return req.caller.ratePerMinute ?? rates.key;
      return partnerOf(req) ? rates.partner : rates.anonymous;
    },
    errorResponseBuilder: (_req, ctx) =>
      new WaygateError('rate_limited', `rate limit of ${ctx.max} requests per minute exceeded`, {
        limitPerMinute: ctx.max,
        retryAfterSeconds: Math.ceil(ctx.ttl / 1000),
      }),
  });
  installCallAudit(app, deps.store);
  const metrics = deps.metrics;
  if (metrics) {
    // Route pattern, never the URL: ids in paths would be personal data and unbounded labels.
    app.addHook('onResponse', async (req, reply) => {
      metrics.observeApi(req.routeOptions.url, req.method, reply.statusCode, reply.elapsedTime);
    });
    await app.register(
      metricsRoutes(deps, {
        metrics,
        allow: deps.metricsAllow ?? (() => []),
        authenticate: (req, reply) => auth.authenticate(req, reply),
      }),
    );
  }
  // Markup in stored data leaves as inert JSON escapes, so a viewer that sniffs or embeds the
  // answer cannot be made to run it (stored XSS through partner data).
  app.addHook('onSend', async (_req, reply, payload) => {
    if (
      typeof payload !== 'string' ||
      !String(reply.getHeader('content-type') ?? '').startsWith('application/json')
    )
      return payload;
    return /[<>&]/.test(payload) ? payload.replace(/[<>&]/g, (c) => JSON_ESCAPES[c] as string) : payload;
  });

  await app.register(healthRoutes(deps, admission));
  await app.register(orderRoutes(deps, admission), { prefix: '/v1' });
  await app.register(trackingRoutes(deps), { prefix: '/v1' });
  await app.register(labelRoutes(deps), { prefix: '/v1' });
  await app.register(partnerRoutes(deps, admission), { prefix: '/v1' });
  await app.register(partnerHealthRoutes(deps), { prefix: '/v1' });
  await app.register(dlqRoutes(deps), { prefix: '/v1' });
  await app.register(privacyRoutes(deps), { prefix: '/v1' });
  await app.register(settlementRoutes(deps), { prefix: '/v1' });
  await app.register(inventoryRoutes(deps), { prefix: '/v1' });
  await app.register(snapshotRoutes(deps), { prefix: '/v1' });
  await app.register(inboundRoutes(deps), { prefix: '/v1' });
  await app.register(returnRoutes(deps), { prefix: '/v1' });
  await app.register(productRoutes(deps), { prefix: '/v1' });
  await app.register(customsRoutes(deps), { prefix: '/v1' });
  await app.register(authRoutes({ ...deps, accounts }), { prefix: '/v1' });
  await app.register(userRoutes({ ...deps, accounts }), { prefix: '/v1' });
  await app.register(apiKeyRoutes(deps, auth.forget), { prefix: '/v1' });
  await app.register(statsRoutes(deps), { prefix: '/v1' });
  if (deps.operations) await app.register(operationsRoutes(deps, deps.operations), { prefix: '/v1' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(consoleRoutes(deps.consoleDir ? { dir: deps.consoleDir } : {}));
  return app;
}
