/**
 * API-key + HMAC request authentication for `/v1` routes. A request is accepted only with a
 * known, unrevoked key, a timestamp within ±300 s, a nonce the key has not used before and a
 * signature over the exact bytes received. Every failure is the same 401 to the caller (with a
 * code saying which check failed), so a forger learns nothing about which keys exist.
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/db.js';
import type { SecretBox } from '../security/secret-box.js';
import { claimNonce, findActiveKeySecret } from '../store/api-keys.js';
import { computeSignature, signatureMatches, SIGNATURE_WINDOW_S } from './signature.js';
import { sendError } from './errors.js';

export interface AuthDeps {
  store: Store;
  box: SecretBox;
  log?: FastifyBaseLogger;
}

const CACHE_TTL_MS = 10_000;

export function apiKeyAuth(deps: AuthDeps) {
  // A short cache keeps the key lookup off the hot path; revocation takes effect within its TTL.
  const cache = new Map<string, { secret: string | undefined; until: number }>();
  const secretFor = async (keyId: string): Promise<string | undefined> => {
    const now = Date.now();
    const hit = cache.get(keyId);
    if (hit && hit.until > now) return hit.secret;
    let secret: string | undefined;
    try {
      secret = await findActiveKeySecret(deps.store.db, deps.box, keyId);
    } catch {
      // A sealed secret that does not open means this node has another master key than the
      // node that created the key: an operator's problem, never a 500 for the caller.
      deps.log?.error({ keyId }, 'API key secret cannot be opened with this master key');
      secret = undefined;
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(keyId, { secret, until: now + CACHE_TTL_MS });
    return secret;
  };

  return async function authenticate(req: FastifyRequest, reply: FastifyReply) {
    const keyId = header(req, 'x-api-key');
    const ts = header(req, 'x-waygate-timestamp');
    const nonce = header(req, 'x-waygate-nonce');
    const signature = header(req, 'x-waygate-signature');
    if (!keyId || !ts || !nonce || !signature) {
      return sendError(
        reply,
        401,
        'auth_missing',
        'sign the request: X-Api-Key, X-Waygate-Timestamp, X-Waygate-Nonce and X-Waygate-Signature are required',
      );
    }
    const timestamp = Number(ts);
    const nowS = Math.floor(Date.now() / 1000);
    if (!/^\d{1,12}$/.test(ts) || Math.abs(nowS - timestamp) > SIGNATURE_WINDOW_S) {
      return sendError(
        reply,
        401,
        'auth_stale_timestamp',
        `X-Waygate-Timestamp must be unix seconds within ${SIGNATURE_WINDOW_S} s of the server clock`,
        { serverTime: nowS },
      );
    }
    if (nonce.length < 8 || nonce.length > 128) {
      return sendError(reply, 401, 'auth_bad_nonce', 'X-Waygate-Nonce must be 8 to 128 characters');
    }
    const secret = await secretFor(keyId);
    const expected = secret
      ? computeSignature({
          secret,
          timestamp,
          nonce,
          method: req.method,
          pathWithQuery: req.url,
          body: req.rawBody ?? '',
        })
      : undefined;
    if (!expected || !signatureMatches(expected, signature.toLowerCase())) {
      return sendError(
        reply,
        401,
        'auth_bad_signature',
        'the API key is unknown or the signature does not match the request',
      );
    }
    // The nonce is claimed only after the signature checks out, so forged requests cannot burn nonces.
    const expiresAt = Date.now() + 2 * SIGNATURE_WINDOW_S * 1000;
    const fresh = await deps.store.write((trx) => claimNonce(trx, keyId, nonce, expiresAt));
    if (!fresh) {
      return sendError(
        reply,
        401,
        'auth_replayed_nonce',
        'this nonce was already used; sign every request with a new one',
      );
    }
    req.caller = { kind: 'api_key', id: keyId };
  };
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
