/**
 * Stored partner parks and releases (pipeline/policy/parks.ts says what they mean). They live in
 * the `settings` table as JSON under `partner_park:ID` and `partner_release:ID`: no migration.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type { UsersTables } from './users-schema.js';

export const PARK_PREFIX = 'partner_park:';
export const RELEASE_PREFIX = 'partner_release:';

function settings(ex: Executor): Kysely<Database & UsersTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<UsersTables>();
}

/** Writes one setting (insert or replace). */
export async function putSetting(ex: Executor, key: string, value: string, nowMs: number): Promise<void> {
  await settings(ex)
    .insertInto('settings')
    .values({ key, value, updated_at: nowMs })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: nowMs }))
    .execute();
}

/** Deletes one setting; true when it existed. */
export async function deleteSetting(ex: Executor, key: string): Promise<boolean> {
  const res = await settings(ex).deleteFrom('settings').where('key', '=', key).executeTakeFirst();
  return Number(res.numDeletedRows ?? 0n) > 0;
}

/** Every setting whose key starts with `prefix` (ids after it are [a-z0-9-], all below '~'). */
export async function settingsWithPrefix(
  ex: Executor,
  prefix: string,
): Promise<Array<{ key: string; value: string }>> {
  // A range, not LIKE: `_` in the prefix would be a wildcard.
  return settings(ex)
    .selectFrom('settings')
    .select(['key', 'value'])
    .where('key', '>=', prefix)
    .where('key', '<', `${prefix}~`)
    .execute();
}

/**
 * Makes due now the ready jobs waiting past `nowMs` that concern `partnerId`, or that name no
 * partner and are of one of `kinds`; returns how many.
 */
export async function releaseDeferredJobs(
  ex: Executor,
  partnerId: string,
  kinds: readonly string[],
  nowMs: number,
): Promise<number> {
  const res = await ex
    .updateTable('jobs')
    .set({ run_at: nowMs, updated_at: nowMs })
    .where('status', '=', 'ready')
    .where('run_at', '>', nowMs)
    .where((eb) =>
      eb.or([
        eb('partner_id', '=', partnerId),
        ...(kinds.length > 0 ? [eb.and([eb('partner_id', 'is', null), eb('kind', 'in', kinds)])] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(res.numUpdatedRows ?? 0n);
}
