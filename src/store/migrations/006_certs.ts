import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The certificate/key store [003-7.2]: the hub's own key pairs (private key sealed), their CSRs
 * and issued certificates, partners' certificates (public only), and the one-a-day expiry
 * alert marks.
 */
export const certs = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const ms = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('certificates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('key_alg', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('private_key_sealed', 'text')
    .addColumn('requested_subject', 'text')
    .addColumn('csr_pem', 'text')
    .addColumn('cert_pem', 'text')
    .addColumn('subject', 'text')
    .addColumn('issuer', 'text')
    .addColumn('serial', 'text')
    .addColumn('fingerprint', 'text', (c) => c.unique())
    .addColumn('not_before', ms)
    .addColumn('not_after', ms)
    .addColumn('renews_id', 'text')
    .addColumn('superseded_by', 'text')
    .addColumn('revoke_reason', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addColumn('activated_at', ms)
    .addColumn('superseded_at', ms)
    .addColumn('revoked_at', ms)
    .execute();
  await db.schema
    .createIndex('certificates_owner_name')
    .on('certificates')
    .columns(['owner', 'name', 'status'])
    .execute();
  await db.schema
    .createIndex('certificates_expiry')
    .on('certificates')
    .columns(['status', 'not_after'])
    .execute();
  await db.schema
    .createTable('certificate_alerts')
    .addColumn('certificate_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('certificate_alerts_pk', ['certificate_id', 'day', 'kind'])
    .execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('certificate_alerts').ifExists().execute();
  await db.schema.dropTable('certificates').ifExists().execute();
}
