/**
 * `GET /metrics`, the Prometheus text exposition [000-13]. No session is needed from an address
 * on the configured allow-list (`metrics.allow`, the Prometheus servers); from anywhere else the
 * scraper presents an API key holding `metrics:read` — as HTTP Basic credentials (key id and
 * secret, Prometheus' `basic_auth`), as a signed request, or a person's session token. The key's
 * own address allow-list applies too. Anything else is refused before a figure is read.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { allowListOf } from '../../security/api-key-policy.js';
import { findActiveKey } from '../../store/api-keys.js';
import type { HubMetrics } from '../../monitor/metrics.js';
import type { GatewayDeps } from '../types.js';
import { sendError } from '../errors.js';

export interface MetricsRouteDeps {
  metrics: HubMetrics;
  /** Addresses (CIDR) that may scrape without credentials, read per request (config reload). */
  allow: () => readonly string[];
  /** The gateway's authenticator for signed requests and session tokens. */
  authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compiled allow-lists by their text, so a scrape does not rebuild one. */
function allowCache() {
  let key = '';
  let check: (ip: string) => boolean = () => false;
  return (cidrs: readonly string[]) => {
    const k = cidrs.join(',');
    if (k !== key) {
      key = k;
      // An empty list allows nobody here (allowListOf reads empty as "no restriction").
      check = cidrs.length === 0 ? () => false : allowListOf(cidrs);
    }
    return check;
  };
}

export const metricsRoutes =
  (deps: GatewayDeps, m: MetricsRouteDeps): FastifyPluginAsync =>
  async (app) => {
    const allowed = allowCache();

    /** HTTP Basic with an API key id and secret; true when it holds metrics:read here. */
    const basicOk = async (req: FastifyRequest, reply: FastifyReply, value: string): Promise<boolean> => {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const keyId = colon > 0 ? decoded.slice(0, colon) : '';
      const secret = colon > 0 ? decoded.slice(colon + 1) : '';
      const key =
        keyId.length > 0 && keyId.length <= 64
          ? await findActiveKey(deps.store.db, deps.box, keyId).catch(() => undefined)
          : undefined;
      const given = digest(secret);
      const valid = key?.secrets.some((s) => timingSafeEqual(digest(s), given)) ?? false;
      if (!key || !valid || (key.expiresAt !== null && key.expiresAt <= Date.now())) {
        sendError(reply, 'auth_bad_signature', 'the API key is unknown or the secret does not match');
        return false;
      }
      if (!allowListOf(key.allowCidrs)(req.ip)) {
        sendError(reply, 'ip_not_allowed', 'this API key may not be used from this address', {
          address: req.ip,
        });
        return false;
      }
      if (!key.scopes.includes('metrics:read')) {
        sendError(reply, 'missing_permission', 'this caller lacks the metrics:read permission', {
          required: 'metrics:read',
        });
        return false;
      }
      return true;
    };

    app.get(
      '/metrics',
      {
        config: { auth: 'none' },
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          description:
            'Open to the addresses in `metrics.allow`; from elsewhere an API key with `metrics:read` (HTTP Basic: key id and secret, or a signed request) or a session of a person holding it.',
          tags: ['operations'],
          security: [{ apiKey: [], signature: [] }, { bearerAuth: [] }],
          produces: ['text/plain'],
        },
      },
      async (req, reply) => {
        if (!allowed(m.allow())(req.ip)) {
          const authorization = req.headers.authorization;
          if (authorization?.startsWith('Basic ')) {
            if (!(await basicOk(req, reply, authorization.slice(6).trim()))) return reply;
          } else {
            await m.authenticate(req, reply);
            if (reply.sent) return reply;
            if (!req.caller?.permissions.has('metrics:read')) {
              return sendError(reply, 'missing_permission', 'this caller lacks the metrics:read permission', {
                required: 'metrics:read',
              });
            }
          }
        }
        const { contentType, body } = await m.metrics.render();
        return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
      },
    );
  };
