import { randomBytes } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../dialect.js';
import { auditHash, CHAINED_FIELDS, chainedFields, genesisHash, type ChainedField } from '../audit-chain.js';
import type { AuditTables } from '../audit-schema.js';

/**
 * The audit_log columns before this migration (frozen: the table as 002 left it). The rows already
 * there are chained over these, every chained column added here being null. The chained list itself
 * is not copied: these rows are verified with today's canonical form, so they are hashed with it.
 */
const EARLIER_COLUMNS = ['id', 'at', 'actor', 'action', 'target', 'detail', 'outcome'] as const;
/** Every chained column null; a row's earlier columns and its new seq are laid over it. */
const ADDED_HERE = Object.fromEntries(CHAINED_FIELDS.map((f) => [f, null])) as Record<ChainedField, null>;

/**
 * Hash-chains the audit log [003-4.4]: seq / prev_hash / hash on every row, the interface-call
 * columns [000-15], and the one-row `audit_head` that serialises appends. Rows already there
 * are chained in id order.
 */
export const auditChain = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down,
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const isPg = dialect === 'postgres';
  const seqType = isPg ? 'bigint' : 'integer';
  // SQLite cannot add NOT NULL columns without a default; the appender always fills them and
  // the verifier reports a row without a seq.
  for (const [name, type] of [
    ['seq', seqType],
    ['prev_hash', 'text'],
    ['hash', 'text'],
    ['interface', 'text'],
    ['status', 'integer'],
    ['params', 'text'],
    ['result', 'text'],
  ] as const) {
    await db.schema.alterTable('audit_log').addColumn(name, type).execute();
  }
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('chain_id', 'text', (c) => c.notNull())
    .addColumn('seq', seqType, (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();

  const tdb = db as unknown as Kysely<AuditTables>;
  const chainId = randomBytes(16).toString('hex');
  let seq = 0;
  let prevHash = genesisHash(chainId);
  for (let lastId = 0; ;) {
    const page = await tdb
      .selectFrom('audit_log')
      .select(EARLIER_COLUMNS)
      .where('id', '>', lastId)
      .orderBy('id')
      .limit(500)
      .execute();
    if (page.length === 0) break;
    for (const row of page) {
      seq += 1;
      const hash = auditHash(chainedFields({ ...ADDED_HERE, ...row, seq }), prevHash);
      await tdb
        .updateTable('audit_log')
        .set({ seq, prev_hash: prevHash, hash })
        .where('id', '=', row.id)
        .execute();
      prevHash = hash;
      lastId = Number(row.id);
    }
  }
  await tdb.insertInto('audit_head').values({ id: 1, chain_id: chainId, seq, hash: prevHash }).execute();

  if (isPg) {
    for (const column of ['seq', 'prev_hash', 'hash'])
      await db.schema
        .alterTable('audit_log')
        .alterColumn(column, (c) => c.setNotNull())
        .execute();
  }
  await db.schema.createIndex('audit_log_seq').unique().on('audit_log').column('seq').execute();
  await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target', 'seq']).execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('audit_log_target').ifExists().execute();
  await db.schema.dropIndex('audit_log_seq').ifExists().execute();
  await db.schema.dropTable('audit_head').ifExists().execute();
  for (const column of ['result', 'params', 'status', 'interface', 'hash', 'prev_hash', 'seq'])
    await db.schema.alterTable('audit_log').dropColumn(column).execute();
}
