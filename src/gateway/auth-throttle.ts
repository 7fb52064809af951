/**
 * The gateway's side of failed-authentication throttling (see security/auth-failures.ts):
 *
 * - before any credential is verified (API key lookup and signature, session lookup, password
 *   hash), an attempt whose address or named credential failed too often is answered 429
 *   `auth_throttled` with Retry-After;
 * - every 401 answered on an authenticated or sign-in route counts as a failure, whichever check
 *   refused it and whether or not the client waited for the answer (counted when the answer is
 *   made, not when it is delivered). `totp_required` does not count: the password was right;
 * - these failures and refusals leave no `api.call` row each. Instead one `auth.failed` row per
 *   (address, credential) and window carries the failures, and one per address and window the
 *   refused attempts; each is written when its window ends (and when the gateway closes);
 * - a spike is logged once per window (`auth failure spike`, masked) and audited as
 *   `auth.failure_spike`.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AUTH_FAILURE_DEFAULTS,
  AuthFailureLedger,
  addressBucket,
  maskAddress,
  maskCredential,
  type AuthAttempt,
  type AuthFailureLimits,
  type FailureSpike,
} from '../security/auth-failures.js';
import { normaliseUsername } from '../security/accounts.js';
import { AuditWriter, type AuditEntry } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { ErrorCode } from '../domain/index.js';
import { sendError } from './errors.js';

export const AUTH_THROTTLED = 'auth_throttled' satisfies ErrorCode;

/** A 401 with this code is a step of a good sign-in, not a failure. */
const NOT_A_FAILURE = new Set(['totp_required']);

/** Longest key id or username kept as its own credential; longer ones share one counter. */
const MAX_CREDENTIAL_LENGTH = 128;

export interface AuthThrottleDeps {
  store: Store;
  limits?: () => Partial<AuthFailureLimits>;
  now?: () => number;
  log: FastifyBaseLogger;
}

export interface AuthThrottle {
  /**
   * Notes the request as an authentication attempt and refuses it (429) when its address or
   * credential is over its limit; true when refused (the answer is sent).
   */
  refuse(req: FastifyRequest, reply: FastifyReply, mode: 'api_key' | 'none'): boolean;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bounded(kind: string, value: string): string {
  return `${kind}:${value.length <= MAX_CREDENTIAL_LENGTH ? value : '~too-long'}`;
}

/**
 * The credential a request names: an API key id, or (on sign-in routes) a username. Session
 * tokens are secrets and are never kept; a session attempt counts against its address only.
 */
function credentialOf(req: FastifyRequest, mode: 'api_key' | 'none'): string | undefined {
  if (header(req, 'authorization')?.startsWith('Bearer ')) return undefined;
  if (mode === 'api_key') {
    const keyId = header(req, 'x-api-key');
    return keyId ? bounded('key', keyId) : undefined;
  }
  const body = req.body as { username?: unknown } | undefined;
  return typeof body?.username === 'string' && body.username.length > 0
    ? bounded('user', normaliseUsername(body.username))
    : undefined;
}

export function installAuthThrottle(app: FastifyInstance, deps: AuthThrottleDeps): AuthThrottle {
  const limits = (): AuthFailureLimits => ({ ...AUTH_FAILURE_DEFAULTS, ...deps.limits?.() });
  const now = deps.now ?? Date.now;
  const ledger = new AuthFailureLedger(limits);
  const writer = new AuditWriter(deps.store);

  const audit = (entry: AuditEntry, at: number) =>
    writer.record(entry, at).catch((err: Error) => {
      deps.log.error({ err: { message: err.message } }, 'authentication failure audit entry not written');
    });

  const reportSpikes = (spikes: FailureSpike[], at: number) => {
    for (const s of spikes) {
      const masked = s.kind === 'address' ? maskAddress(s.value) : maskCredential(s.value);
      const windowS = Math.round(s.windowMs / 1000);
      deps.log.warn({ kind: s.kind, subject: masked, count: s.count, windowS }, 'auth failure spike');
      void audit(
        {
          actor: 'system',
          action: 'auth.failure_spike',
          target: s.kind === 'address' ? `ip:${s.value}` : maskCredential(s.value),
          detail: { kind: s.kind, count: s.count, windowS, threshold: limits().spikeThreshold },
          outcome: 'ok',
        },
        at,
      );
    }
  };

  const flush = (all: boolean) => {
    const at = now();
    for (const t of ledger.takeTallies(at, all)) {
      void audit(
        {
          actor: 'anonymous',
          action: 'auth.failed',
          target: t.credential ? maskCredential(t.credential) : `ip:${t.address}`,
          interface: 'auth',
          detail: {
            ip: t.address,
            failures: t.failures,
            refused: t.refused,
            codes: t.codes,
            routes: t.routes,
            from: new Date(t.from).toISOString(),
            to: new Date(t.to).toISOString(),
          },
          outcome: 'rejected',
        },
        t.to,
      );
    }
  };

  const sweep = setInterval(() => flush(false), Math.min(limits().windowMs, 60_000));
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    flush(true);
    await writer.drain();
  });

  // onSend runs when the answer is made, also for a client that has already gone.
  app.addHook('onSend', async (req, reply, payload) => {
    const attempt = req.authAttempt;
    if (!attempt) return payload;
    const at = now();
    const route = `${req.method} ${req.routeOptions.url ?? 'unmatched'}`;
    const code = req.errorCode;
    if (code === AUTH_THROTTLED) {
      reportSpikes(ledger.refused(attempt, route, at), at);
    } else if (reply.statusCode === 401 && !NOT_A_FAILURE.has(code ?? '')) {
      req.authAggregated = true;
      reportSpikes(ledger.failed(attempt, code ?? 'unauthenticated', route, at), at);
    } else if (req.caller || reply.statusCode < 400) {
      ledger.succeeded(attempt, at);
    }
    return payload;
  });

  return {
    refuse(req, reply, mode) {
      const credential = credentialOf(req, mode);
      const attempt: AuthAttempt = {
        address: addressBucket(req.ip),
        ...(credential ? { credential } : {}),
      };
      req.authAttempt = attempt;
      const wait = ledger.retryAfter(attempt, now());
      if (wait === undefined) return false;
      req.authAggregated = true;
      reply.header('retry-after', String(wait));
      sendError(reply, AUTH_THROTTLED, undefined, { retryAfterSeconds: wait });
      return true;
    },
  };
}
