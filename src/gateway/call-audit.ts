/**
 * Every API call leaves an audit entry [000-15] [001-6.4]: time, caller, interface, masked
 * parameters, status and result code. Written after the answer is sent, many calls per
 * transaction (the chain head is locked once per batch), so auditing adds no latency to the
 * caller and does not serialise the gateway on the audit chain.
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/db.js';
import { AuditWriter, scrubFreeText } from '../store/audit.js';

function scrubbed(obj: unknown): Record<string, unknown> {
  if (!obj || typeof obj !== 'object') return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    out[k] = typeof v === 'string' ? scrubFreeText(v, 100) : v;
  }
  return out;
}

export function installCallAudit(app: FastifyInstance, store: Store): void {
  const writer = new AuditWriter(store);
  app.addHook('onClose', async () => writer.drain());
  app.addHook('onResponse', async (req, reply) => {
    // Failed and throttled authentications are tallied per address and window instead (see
    // auth-throttle.ts): a guessing client cannot grow the log by one row per guess.
    if (!req.url.startsWith('/v1/') || req.authAggregated) return;
    const status = reply.statusCode;
    const caller = req.caller;
    try {
      await writer.record({
        actor: caller ? `${caller.kind}:${caller.id}` : 'anonymous',
        action: 'api.call',
        target: `${req.method} ${req.routeOptions.url ?? 'unmatched'}`,
        interface: req.routeOptions.config?.permission?.split(':')[0] ?? 'public',
        status,
        params: { path: scrubbed(req.params), query: scrubbed(req.query) },
        result: req.errorCode ?? 'ok',
        detail: { ip: req.ip, ms: Math.round(reply.elapsedTime) },
        outcome: status < 400 ? 'ok' : status < 500 ? 'rejected' : 'failed',
      });
    } catch (err) {
      // The answer is already sent; a failing store is logged and alerted on, not hidden.
      req.log.error({ err: { message: (err as Error).message } }, 'API call audit entry not written');
    }
  });
}
