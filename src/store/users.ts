/**
 * Data access for people's accounts, sessions, password resets and settings. Plain reads and
 * writes only: the rules (lockout, expiry, policy) live in security/accounts.ts.
 */
import type { Kysely, Updateable } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type { SessionsTable, UsersTable, UsersTables } from './users-schema.js';

/** The executor typed with the account tables (types only; the same connection or transaction). */
function usersDb(ex: Executor): Kysely<Database & UsersTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<UsersTables>();
}

export type UserRow = UsersTable;

export async function insertUser(ex: Executor, row: UsersTable): Promise<void> {
  await usersDb(ex).insertInto('users').values(row).execute();
}

export function findUserByUsername(ex: Executor, username: string): Promise<UserRow | undefined> {
  return usersDb(ex).selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export function findUserById(ex: Executor, id: string): Promise<UserRow | undefined> {
  return usersDb(ex).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listUserRows(ex: Executor, f: { status?: string } = {}): Promise<UserRow[]> {
  let q = usersDb(ex).selectFrom('users').selectAll();
  if (f.status) q = q.where('status', '=', f.status);
  return q.orderBy('username').execute();
}

export async function updateUser(
  ex: Executor,
  id: string,
  patch: Updateable<UsersTable>,
  nowMs: number,
): Promise<void> {
  await usersDb(ex)
    .updateTable('users')
    .set({ ...patch, updated_at: nowMs })
    .where('id', '=', id)
    .execute();
}

/** Counts one failed login and returns the new count (atomic under concurrent attempts). */
export async function countFailure(ex: Executor, id: string, nowMs: number): Promise<number> {
  const row = await usersDb(ex)
    .updateTable('users')
    .set((eb) => ({ failed_count: eb('failed_count', '+', 1), updated_at: nowMs }))
    .where('id', '=', id)
    .returning('failed_count')
    .executeTakeFirst();
  return Number(row?.failed_count ?? 0);
}

/**
 * Records `step` as the last accepted TOTP step; false when that step or a later one was already
 * used (a replayed code, or a concurrent login with the same code that got there first).
 */
export async function claimTotpStep(ex: Executor, id: string, step: number, nowMs: number): Promise<boolean> {
  const res = await usersDb(ex)
    .updateTable('users')
    .set({ totp_last_step: step, updated_at: nowMs })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function insertSession(ex: Executor, row: SessionsTable): Promise<void> {
  await usersDb(ex).insertInto('sessions').values(row).execute();
}

export interface SessionWithUser {
  session: SessionsTable;
  user: UserRow;
}

export async function findSession(ex: Executor, tokenHash: string): Promise<SessionWithUser | undefined> {
  const db = usersDb(ex);
  const session = await db
    .selectFrom('sessions')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!session) return undefined;
  const user = await findUserById(ex, session.user_id);
  return user ? { session, user } : undefined;
}

export async function touchSession(ex: Executor, tokenHash: string, nowMs: number): Promise<void> {
  await usersDb(ex)
    .updateTable('sessions')
    .set({ last_seen_at: nowMs })
    .where('token_hash', '=', tokenHash)
    .execute();
}

export async function revokeSession(ex: Executor, tokenHash: string, nowMs: number): Promise<boolean> {
  const res = await usersDb(ex)
    .updateTable('sessions')
    .set({ revoked_at: nowMs })
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Revokes every live session of a user, except `keepTokenHash` when given; returns how many. */
export async function revokeUserSessions(
  ex: Executor,
  userId: string,
  nowMs: number,
  keepTokenHash?: string,
): Promise<number> {
  let q = usersDb(ex)
    .updateTable('sessions')
    .set({ revoked_at: nowMs })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (keepTokenHash) q = q.where('token_hash', '!=', keepTokenHash);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Deletes sessions that ended (expired or revoked) before `beforeMs`. */
export async function purgeSessions(ex: Executor, beforeMs: number): Promise<number> {
  const res = await usersDb(ex)
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<', beforeMs), eb('revoked_at', '<', beforeMs)]))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function insertPasswordReset(
  ex: Executor,
  row: { token_hash: string; user_id: string; created_at: number; expires_at: number },
): Promise<void> {
  await usersDb(ex)
    .insertInto('password_resets')
    .values({ ...row, used_at: null })
    .execute();
}

export function findPasswordReset(ex: Executor, tokenHash: string) {
  return usersDb(ex)
    .selectFrom('password_resets')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Marks a reset token used; false when it was used already (one-time, even under a race). */
export async function claimPasswordReset(ex: Executor, tokenHash: string, nowMs: number): Promise<boolean> {
  const res = await usersDb(ex)
    .updateTable('password_resets')
    .set({ used_at: nowMs })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Voids a user's outstanding reset tokens (a new one replaces them; a reset consumes them). */
export async function voidPasswordResets(ex: Executor, userId: string, nowMs: number): Promise<void> {
  await usersDb(ex)
    .updateTable('password_resets')
    .set({ used_at: nowMs })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .execute();
}

export async function getSetting(ex: Executor, key: string): Promise<string | undefined> {
  const row = await usersDb(ex)
    .selectFrom('settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

export async function setSetting(ex: Executor, key: string, value: string, nowMs: number): Promise<void> {
  await usersDb(ex)
    .insertInto('settings')
    .values({ key, value, updated_at: nowMs })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: nowMs }))
    .execute();
}
