/**
 * API keys for machine callers [000-15] [003-4.3]: scoped to permissions and optionally to one
 * partner, allow-listed by address, rate-limited, expiring, rotatable with an overlap (old and
 * new secret both valid for a while, so a partner can redeploy without downtime) and revocable.
 * The secret is returned once and kept sealed with the master key (by the `SecretSealer` the
 * caller passes: security/secret-box.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Permission } from '../domain/permissions.js';
import type { SecretSealer } from './sealing.js';
import type { Executor } from './transaction.js';
import type { ApiKeysTable } from './schema.js';
import { compiled } from './compiled.js';

export interface ApiKeySpec {
  name: string;
  scopes: readonly Permission[];
  partnerId?: string | null;
  allowCidrs?: readonly string[];
  ratePerMinute?: number | null;
  expiresAt?: number | null;
}

/** A key's limits besides its scopes. */
export interface KeyGrantLimits {
  partnerId: string | null;
  allowCidrs: string[];
  ratePerMinute: number | null;
  expiresAt: number | null;
}

export interface CreatedKey {
  keyId: string;
  secret: string;
}

/** A key as the gateway needs it: every secret that is valid right now, and its limits. */
export interface ActiveKey {
  keyId: string;
  name: string;
  secrets: string[];
  scopes: Permission[];
  partnerId: string | null;
  allowCidrs: string[];
  ratePerMinute: number | null;
  expiresAt: number | null;
}

export interface ApiKeyInfo {
  keyId: string;
  name: string;
  scopes: Permission[];
  partnerId: string | null;
  allowCidrs: string[];
  ratePerMinute: number | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  rotatedAt: string | null;
  previousSecretValidUntil: string | null;
}

export async function createApiKey(
  ex: Executor,
  box: SecretSealer,
  spec: ApiKeySpec,
  nowMs = Date.now(),
): Promise<CreatedKey> {
  const keyId = `wk_${randomBytes(9).toString('base64url')}`;
  const secret = newSecret();
  await ex
    .insertInto('api_keys')
    .values({
      id: keyId,
      name: spec.name,
      secret_enc: box.seal(secret),
      created_at: nowMs,
      revoked_at: null,
      scopes: JSON.stringify([...new Set(spec.scopes)]),
      partner_id: spec.partnerId ?? null,
      allow_cidrs: JSON.stringify(spec.allowCidrs ?? []),
      rate_per_minute: spec.ratePerMinute ?? null,
      expires_at: spec.expiresAt ?? null,
      prev_secret_enc: null,
      prev_valid_until: null,
      rotated_at: null,
    })
    .execute();
  return { keyId, secret };
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Issues a new secret; the old one stays valid for `overlapMs` so callers can switch over.
 * Returns undefined for an unknown or revoked key.
 */
export async function rotateApiKey(
  ex: Executor,
  box: SecretSealer,
  keyId: string,
  overlapMs: number,
  nowMs = Date.now(),
): Promise<(CreatedKey & { previousValidUntil: number }) | undefined> {
  const row = await ex
    .selectFrom('api_keys')
    .select(['secret_enc', 'revoked_at'])
    .where('id', '=', keyId)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  const secret = newSecret();
  const previousValidUntil = nowMs + overlapMs;
  await ex
    .updateTable('api_keys')
    .set({
      secret_enc: box.seal(secret),
      prev_secret_enc: row.secret_enc,
      prev_valid_until: previousValidUntil,
      rotated_at: nowMs,
    })
    .where('id', '=', keyId)
    .execute();
  return { keyId, secret, previousValidUntil };
}

/** Revokes a key at once; false when there was no such active key. */
export async function revokeApiKey(ex: Executor, keyId: string, nowMs = Date.now()): Promise<boolean> {
  const res = await ex
    .updateTable('api_keys')
    .set({ revoked_at: nowMs, prev_secret_enc: null, prev_valid_until: null })
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

function parseList(json: string): string[] {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * The key with its currently valid secrets, or undefined when unknown or revoked. Expiry is
 * the caller's check, so the gateway can say "expired" rather than "unknown".
 */
export async function findActiveKey(
  ex: Executor,
  box: SecretSealer,
  keyId: string,
  nowMs = Date.now(),
): Promise<ActiveKey | undefined> {
  const row = await ex.selectFrom('api_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  const secrets = [box.open(row.secret_enc)];
  if (row.prev_secret_enc && row.prev_valid_until !== null && row.prev_valid_until > nowMs) {
    secrets.push(box.open(row.prev_secret_enc));
  }
  return {
    keyId: row.id,
    name: row.name,
    secrets,
    scopes: parseList(row.scopes) as Permission[],
    partnerId: row.partner_id,
    allowCidrs: parseList(row.allow_cidrs),
    ratePerMinute: row.rate_per_minute,
    expiresAt: row.expires_at,
  };
}

/** What an active key was granted (scopes and limits), or undefined when unknown or revoked. */
export async function findKeyGrant(
  ex: Executor,
  keyId: string,
): Promise<(KeyGrantLimits & { scopes: Permission[] }) | undefined> {
  const row = await ex
    .selectFrom('api_keys')
    .select(['scopes', 'partner_id', 'allow_cidrs', 'rate_per_minute', 'expires_at', 'revoked_at'])
    .where('id', '=', keyId)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  return {
    scopes: parseList(row.scopes) as Permission[],
    partnerId: row.partner_id,
    allowCidrs: parseList(row.allow_cidrs),
    ratePerMinute: row.rate_per_minute === null ? null : Number(row.rate_per_minute),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  };
}

/** An active key's limits besides its scopes, or undefined when unknown or revoked. */
export async function findKeyLimits(ex: Executor, keyId: string): Promise<KeyGrantLimits | undefined> {
  const grant = await findKeyGrant(ex, keyId);
  if (!grant) return undefined;
  const { scopes: _scopes, ...limits } = grant;
  return limits;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function toKeyInfo(row: ApiKeysTable): ApiKeyInfo {
  return {
    keyId: row.id,
    name: row.name,
    scopes: parseList(row.scopes) as Permission[],
    partnerId: row.partner_id,
    allowCidrs: parseList(row.allow_cidrs),
    ratePerMinute: row.rate_per_minute,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    rotatedAt: iso(row.rotated_at),
    previousSecretValidUntil: iso(row.prev_valid_until),
  };
}

export async function listApiKeys(ex: Executor): Promise<ApiKeyInfo[]> {
  const rows = await ex.selectFrom('api_keys').selectAll().orderBy('created_at', 'asc').execute();
  return rows.map(toKeyInfo);
}

const insertNonce = compiled((ex, a: { key_id: string; nonce: string; expires_at: number }) =>
  ex
    .insertInto('nonces')
    .values(a)
    .onConflict((oc) => oc.columns(['key_id', 'nonce']).doNothing()),
);

/** Records a nonce; false when the key already used it (a replay). */
export async function claimNonce(
  ex: Executor,
  keyId: string,
  nonce: string,
  expiresAt: number,
): Promise<boolean> {
  const res = await insertNonce(ex, { key_id: keyId, nonce, expires_at: expiresAt });
  return Boolean(res.numAffectedRows);
}

export async function purgeExpiredNonces(ex: Executor, nowMs = Date.now()): Promise<number> {
  const res = await ex.deleteFrom('nonces').where('expires_at', '<', nowMs).executeTakeFirst();
  return Number(res.numDeletedRows);
}
