/**
 * The gateway: a Fastify app built separately from `listen` so tests can use `inject()`.
 * Every `/v1` route is authenticated: by API key + HMAC, or, for partner pushes, by the
 * partner's own signature scheme verified in its connector.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { Logger } from 'pino';
import { invalidInput } from '../domain/index.js';
import type { CarrierConnector, PlatformConnector } from '../connectors/types.js';
import type { Store } from '../store/db.js';
import type { SecretBox } from '../security/secret-box.js';
import { apiKeyAuth } from './auth.js';
import { errorHandler, sendError } from './errors.js';
import { DEFAULT_ADMISSION, installAdmission, type AdmissionLimits } from './admission.js';
import { orderRoutes } from './routes/orders.js';
import { trackingRoutes } from './routes/tracking.js';
import { partnerRoutes } from './routes/partners.js';
import { healthRoutes } from './routes/health.js';
import { dlqRoutes } from './routes/dlq.js';
import { partnerHealthRoutes } from './routes/partner-health.js';
import './types.js';

export interface GatewayDeps {
  store: Store;
  box: SecretBox;
  /** Connectors that verify partner pushes, looked up live (the set changes on policy reload). */
  carriers: { get(id: string): CarrierConnector | undefined };
  platforms: { get(id: string): PlatformConnector | undefined };
  /** Channel health per carrier, for `GET /v1/partners`. */
  partnerHealth?: () => unknown[];
  /** Policy reloads applied and rejected, for `GET /v1/partners/config-events`. */
  configEvents?: () => readonly unknown[];
  /** Wakes the local workers after work was enqueued. */
  notifyWork: () => void;
  /** Ready means the store answers and the workers run. */
  isReady: () => Promise<boolean>;
  logger?: Logger | false;
  bodyLimitBytes?: number;
  /** Admission limits (read per request, so a policy reload changes them live). */
  admission?: () => AdmissionLimits;
  /** Jobs waiting in the queue, for the backlog bound. */
  backlog?: () => Promise<number>;
}

function buildAjv(coerce: boolean) {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes: coerce,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
  });
  addFormats.default(ajv, ['date-time', 'email', 'uri']);
  return ajv;
}

export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Per-request info lines would log every call twice; the gateway logs warnings and errors.
    loggerInstance: (deps.logger
      ? deps.logger.child({ component: 'gateway' }, { level: 'warn' })
      : undefined) as FastifyBaseLogger | undefined,
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    return503OnClosing: true,
  });

  // Bodies are validated as sent (no type coercion); query strings arrive as text and are coerced.
  const bodyAjv = buildAjv(false);
  const queryAjv = buildAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodyAjv.compile(schema) : queryAjv.compile(schema),
  );

  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    req.rawBody = text;
    if (text.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(invalidInput('invalid_json', `the body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, 'route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`),
  );

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Waygate API',
        version: '1',
        description:
          'Cross-border logistics interface hub. Machine callers sign every /v1 request with their API key: ' +
          'X-Waygate-Signature = hex(HMAC-SHA256(secret, timestamp\\nnonce\\nMETHOD\\npath_with_query\\nhex(sha256(body)))).',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          signature: { type: 'apiKey', in: 'header', name: 'X-Waygate-Signature' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  installAdmission(
    app,
    deps.admission ?? (() => DEFAULT_ADMISSION),
    deps.backlog ?? (async () => 0),
    (method, url) => method === 'POST' && (url.startsWith('/v1/orders') || url.startsWith('/v1/webhooks/')),
  );

  const authenticate = apiKeyAuth({ store: deps.store, box: deps.box, log: app.log });
  app.addHook('preValidation', async (req, reply) => {
    if (!req.url.startsWith('/v1/')) return;
    const mode = req.routeOptions.config?.auth ?? 'api_key';
    if (mode === 'api_key') await authenticate(req, reply);
  });

  await app.register(healthRoutes(deps));
  await app.register(orderRoutes(deps), { prefix: '/v1' });
  await app.register(trackingRoutes(deps), { prefix: '/v1' });
  await app.register(partnerRoutes(deps), { prefix: '/v1' });
  await app.register(partnerHealthRoutes(deps), { prefix: '/v1' });
  await app.register(dlqRoutes(deps), { prefix: '/v1' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
