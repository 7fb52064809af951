/**
 * Request ids and the request log: every answer carries `X-Request-Id` (the caller's own when it
 * is a sane token, else one made here) and every request leaves one structured line — method,
 * route, status, duration, who called and the request id. The route pattern is logged, never the
 * URL, so ids, e-mail addresses or phone numbers in paths and queries stay out of the log.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** Short, printable, no separators a log or header parser could trip on. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function isSaneRequestId(value: unknown): value is string {
  return typeof value === 'string' && SANE_REQUEST_ID.test(value);
}

/** Fastify's `genReqId`: the caller's X-Request-Id if sane, else `req_` and 16 random hex digits. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (isSaneRequestId(given)) return given;
  return `req_${randomBytes(8).toString('hex')}`;
}

export function installRequestLog(app: FastifyInstance, log: Logger | undefined): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  if (!log) return;
  const lines = log.child({ component: 'gateway' });
  app.addHook('onResponse', async (req, reply) => {
    const caller = req.caller;
    const status = reply.statusCode;
    lines[status >= 500 ? 'error' : 'info'](
      {
        reqId: req.id,
        method: req.method,
        route: req.routeOptions.url ?? 'unmatched',
        status,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        // Ids only: an API key id, a user id, or the partner whose push this is. Never a name.
        caller: caller
          ? `${caller.kind}:${caller.id}`
          : req.routeOptions.config?.auth === 'partner'
            ? `partner:${(req.params as { partnerId?: string }).partnerId ?? '?'}`
            : 'anonymous',
        ...(req.errorCode ? { error: req.errorCode } : {}),
      },
      'request',
    );
  });
}
