/**
 * Rows of the certificate/key store. The sealed private key is read only by
 * `sealedPrivateKey`; every other read leaves it out, so a listing can never carry it.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';
import type { CertificatesTable, CertOwner, CertStatus, CertTables } from './certs-schema.js';

export type CertRow = Omit<Selectable<CertificatesTable>, 'private_key_sealed'>;
export type NewCertRow = CertificatesTable;
export type CertPatch = Partial<Omit<CertificatesTable, 'id' | 'owner' | 'created_at'>>;

function certsDb(ex: Executor): Kysely<Database & CertTables> {
  const db: Kysely<Database> = ex;
  return db.withTables<CertTables>();
}

const PUBLIC_COLUMNS = [
  'id',
  'owner',
  'name',
  'status',
  'key_alg',
  'public_key',
  'requested_subject',
  'csr_pem',
  'cert_pem',
  'subject',
  'issuer',
  'serial',
  'fingerprint',
  'not_before',
  'not_after',
  'renews_id',
  'superseded_by',
  'revoke_reason',
  'created_at',
  'updated_at',
  'activated_at',
  'superseded_at',
  'revoked_at',
] as const;

export async function insertCertificate(ex: Executor, row: NewCertRow): Promise<void> {
  await certsDb(ex).insertInto('certificates').values(row).execute();
}

export async function getCertificate(ex: Executor, id: string): Promise<CertRow | undefined> {
  return certsDb(ex)
    .selectFrom('certificates')
    .select(PUBLIC_COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findCertificates(
  ex: Executor,
  f: { owner?: CertOwner; name?: string; status?: readonly CertStatus[]; fingerprint?: string } = {},
): Promise<CertRow[]> {
  let q = certsDb(ex).selectFrom('certificates').select(PUBLIC_COLUMNS);
  if (f.owner) q = q.where('owner', '=', f.owner);
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.status) q = q.where('status', 'in', [...f.status]);
  if (f.fingerprint) q = q.where('fingerprint', '=', f.fingerprint);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Active certificates whose validity ends at or before `beforeMs` (expired ones included). */
export async function activeEndingBefore(ex: Executor, beforeMs: number): Promise<CertRow[]> {
  return certsDb(ex)
    .selectFrom('certificates')
    .select(PUBLIC_COLUMNS)
    .where('status', '=', 'active')
    .where('not_after', '<=', beforeMs)
    .orderBy('not_after')
    .execute();
}

export async function sealedPrivateKey(ex: Executor, id: string): Promise<string | undefined> {
  const row = await certsDb(ex)
    .selectFrom('certificates')
    .select('private_key_sealed')
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.private_key_sealed ?? undefined;
}

/** Updates a row only while it is in one of `fromStatus` (so two operators cannot both win). */
export async function updateCertificate(
  ex: Executor,
  id: string,
  fromStatus: readonly CertStatus[],
  patch: CertPatch,
): Promise<boolean> {
  const res = await certsDb(ex)
    .updateTable('certificates')
    .set(patch)
    .where('id', '=', id)
    .where('status', 'in', [...fromStatus])
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Marks an alert as raised; false when it already was for this certificate, day and kind. */
export async function claimCertificateAlert(
  ex: Executor,
  certificateId: string,
  day: string,
  kind: string,
  atMs: number,
): Promise<boolean> {
  const res = await certsDb(ex)
    .insertInto('certificate_alerts')
    .values({ certificate_id: certificateId, day, kind, at: atMs })
    .onConflict((oc) => oc.columns(['certificate_id', 'day', 'kind']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}
