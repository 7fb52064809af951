/**
 * Authentication and authorisation for `/v1` routes.
 *
 * Machines sign every request with an API key: a known, unrevoked, unexpired key, a timestamp
 * within ±300 s, a nonce the key has not used before and an HMAC over the exact bytes received.
 * People present a session token (`Authorization: Bearer`) from `POST /v1/auth/login`.
 * Every signature failure is the same 401 (with a code saying which check failed), so a forger
 * learns nothing about which keys exist. Then the caller's address must be on the key's
 * allow-list and the caller must hold the permission the route declares; a route that declares
 * none is refused (deny by default).
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/db.js';
import type { SecretBox } from '../security/secret-box.js';
import { claimNonce, findActiveKey, type ActiveKey } from '../store/api-keys.js';
import { allowListOf } from '../security/api-key-policy.js';
import type { Caller } from '../security/permissions.js';
import type { Executor } from '../store/transaction.js';
import { WaygateError } from '../domain/index.js';
import { computeSignature, signatureMatches, SIGNATURE_WINDOW_S } from './signature.js';
import { sendError } from './errors.js';

/** Resolves a session token to the person behind it (see security/accounts.ts). */
export type SessionResolver = (token: string) => Promise<Caller | undefined>;

export interface AuthDeps {
  store: Store;
  box: SecretBox;
  sessions?: SessionResolver;
  log?: FastifyBaseLogger;
}

/** A key as cached: its secrets, grants and compiled allow-list. */
interface CachedKey extends ActiveKey {
  allowed: (ip: string) => boolean;
  permissions: ReadonlySet<string>;
}

/** Revocation and rotation reach other processes within this time; this process at once. */
export const KEY_CACHE_TTL_MS = 5_000;

export interface Authenticator {
  authenticate(req: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Drops a key from the cache (after revoke or rotate through this process). */
  forget(keyId: string): void;
}

export function apiKeyAuth(deps: AuthDeps): Authenticator {
  // A short cache keeps the key lookup off the hot path.
  const cache = new Map<string, { key: CachedKey | undefined; until: number }>();
  const keyFor = async (keyId: string): Promise<CachedKey | undefined> => {
    const now = Date.now();
    const hit = cache.get(keyId);
    if (hit && hit.until > now) return hit.key;
    let key: CachedKey | undefined;
    try {
      const found = await findActiveKey(deps.store.db, deps.box, keyId, now);
      key = found && {
        ...found,
        allowed: allowListOf(found.allowCidrs),
        permissions: new Set(found.scopes),
      };
    } catch {
      // A sealed secret that does not open means this node has another master key than the
      // node that created the key: an operator's problem, never a 500 for the caller.
      deps.log?.error({ keyId }, 'API key secret cannot be opened with this master key');
      key = undefined;
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(keyId, { key, until: now + KEY_CACHE_TTL_MS });
    return key;
  };

  async function authenticateSession(req: FastifyRequest, reply: FastifyReply, token: string) {
    const caller = deps.sessions ? await deps.sessions(token) : undefined;
    if (!caller) {
      return sendError(reply, 'session_invalid', 'the session is unknown, expired or revoked; log in again');
    }
    req.caller = caller;
  }

  async function authenticate(req: FastifyRequest, reply: FastifyReply) {
    const authorization = header(req, 'authorization');
    if (authorization?.startsWith('Bearer ')) {
      return authenticateSession(req, reply, authorization.slice('Bearer '.length).trim());
    }
    const keyId = header(req, 'x-api-key');
    const ts = header(req, 'x-waygate-timestamp');
    const nonce = header(req, 'x-waygate-nonce');
    const signature = header(req, 'x-waygate-signature');
    if (!keyId || !ts || !nonce || !signature) {
      return sendError(
        reply,
        'auth_missing',
        'sign the request (X-Api-Key, X-Waygate-Timestamp, X-Waygate-Nonce, X-Waygate-Signature) or send a session token',
      );
    }
    const timestamp = Number(ts);
    const nowMs = Date.now();
    const nowS = Math.floor(nowMs / 1000);
    if (!/^\d{1,12}$/.test(ts) || Math.abs(nowS - timestamp) > SIGNATURE_WINDOW_S) {
      return sendError(
        reply,
        'auth_stale_timestamp',
        `X-Waygate-Timestamp must be unix seconds within ${SIGNATURE_WINDOW_S} s of the server clock`,
        { serverTime: nowS },
      );
    }
    if (nonce.length < 8 || nonce.length > 128) {
      return sendError(reply, 'auth_bad_nonce', 'X-Waygate-Nonce must be 8 to 128 characters');
    }
    const key = keyId.length <= 64 ? await keyFor(keyId) : undefined;
    const signed = { timestamp, nonce, method: req.method, pathWithQuery: req.url, body: req.rawBytes ?? '' };
    const given = signature.toLowerCase();
    // During a rotation's overlap either secret signs; both are checked in constant time.
    const valid = key?.secrets.some((secret) =>
      signatureMatches(computeSignature({ secret, ...signed }), given),
    );
    if (!key || !valid) {
      return sendError(
        reply,
        'auth_bad_signature',
        'the API key is unknown or the signature does not match the request',
      );
    }
    if (key.expiresAt !== null && key.expiresAt <= nowMs) {
      return sendError(reply, 'auth_key_expired', 'this API key has expired; ask for a new one');
    }
    if (!key.allowed(req.ip)) {
      return sendError(reply, 'ip_not_allowed', 'this API key may not be used from this address', {
        address: req.ip,
      });
    }
    // The nonce is claimed only after the signature checks out, so forged requests cannot burn
    // nonces. Routes that write claim it inside their own transaction (one commit per request);
    // the others claim it here, before they answer.
    const claim: NonceClaim = { keyId: key.keyId, nonce, expiresAt: nowMs + 2 * SIGNATURE_WINDOW_S * 1000 };
    if (req.routeOptions.config?.nonceInWrite) {
      req.nonceClaim = claim;
    } else if (!(await deps.store.write((trx) => claimNonceOf(trx, claim)))) {
      return sendError(reply, REPLAYED_NONCE, REPLAYED_NONCE_MESSAGE);
    }
    req.caller = {
      kind: 'api_key',
      id: key.keyId,
      permissions: key.permissions as Caller['permissions'],
      ...(key.partnerId ? { partnerId: key.partnerId } : {}),
      ...(key.ratePerMinute !== null ? { ratePerMinute: key.ratePerMinute } : {}),
    };
  }

  return { authenticate, forget: (keyId) => cache.delete(keyId) };
}

export interface NonceClaim {
  keyId: string;
  nonce: string;
  expiresAt: number;
}

const REPLAYED_NONCE = 'auth_replayed_nonce' as const;
const REPLAYED_NONCE_MESSAGE = 'this nonce was already used; sign every request with a new one';

function claimNonceOf(trx: Executor, c: NonceClaim): Promise<boolean> {
  return claimNonce(trx, c.keyId, c.nonce, c.expiresAt);
}

/**
 * For `nonceInWrite` routes: claims the request's nonce inside the route's transaction, and
 * throws (rolling the whole write back) when the nonce was used before.
 */
export function nonceClaimFor(req: FastifyRequest): ((trx: Executor) => Promise<void>) | undefined {
  const claim = req.nonceClaim;
  if (!claim) return undefined;
  return async (trx) => {
    if (!(await claimNonceOf(trx, claim))) throw new WaygateError(REPLAYED_NONCE, REPLAYED_NONCE_MESSAGE);
  };
}

/** Refuses a caller without the route's permission; a route declaring none is refused too. */
export function authorize(req: FastifyRequest, reply: FastifyReply) {
  const need = req.routeOptions.config?.permission;
  if (!need) {
    return sendError(reply, 'route_not_permitted', 'this route declares no permission and is closed');
  }
  if (!req.caller?.permissions.has(need)) {
    return sendError(reply, 'missing_permission', `this caller lacks the ${need} permission`, {
      required: need,
    });
  }
  return undefined;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
