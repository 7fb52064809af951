/** API keys for machine callers. The secret is returned once at creation and kept sealed. */
import { randomBytes } from 'node:crypto';
import type { SecretBox } from '../security/secret-box.js';
import type { Executor } from './queue.js';

export interface CreatedKey {
  keyId: string;
  secret: string;
}

export async function createApiKey(
  ex: Executor,
  box: SecretBox,
  name: string,
  nowMs = Date.now(),
): Promise<CreatedKey> {
  const keyId = `wk_${randomBytes(9).toString('base64url')}`;
  const secret = randomBytes(32).toString('base64url');
  await ex
    .insertInto('api_keys')
    .values({ id: keyId, name, secret_enc: box.seal(secret), created_at: nowMs, revoked_at: null })
    .execute();
  return { keyId, secret };
}

export async function findActiveKeySecret(
  ex: Executor,
  box: SecretBox,
  keyId: string,
): Promise<string | undefined> {
  const row = await ex
    .selectFrom('api_keys')
    .select(['secret_enc', 'revoked_at'])
    .where('id', '=', keyId)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  return box.open(row.secret_enc);
}

/** Records a nonce; false when the key already used it (a replay). */
export async function claimNonce(
  ex: Executor,
  keyId: string,
  nonce: string,
  expiresAt: number,
): Promise<boolean> {
  const res = await ex
    .insertInto('nonces')
    .values({ key_id: keyId, nonce, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['key_id', 'nonce']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function purgeExpiredNonces(ex: Executor, nowMs = Date.now()): Promise<number> {
  const res = await ex.deleteFrom('nonces').where('expires_at', '<', nowMs).executeTakeFirst();
  return Number(res.numDeletedRows);
}
