import { auditHash, chainedFields, genesisHash } from '../../src/store/audit-chain.js';
import { auditDb, readAuditHead } from '../../src/store/audit.js';
import type { Store } from '../../src/store/db.js';

/** What an attacker with database access (but not the signing key) does: re-hash from `fromSeq`. */
export async function rehashFrom(store: Store, fromSeq: number): Promise<void> {
  const db = auditDb(store.db);
  const { chainId } = await readAuditHead(store.db);
  const before = await db
    .selectFrom('audit_log')
    .select('hash')
    .where('seq', '=', fromSeq - 1)
    .executeTakeFirst();
  let prev = before?.hash ?? genesisHash(chainId);
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>=', fromSeq)
    .orderBy('seq')
    .execute();
  for (const r of rows) {
    const hash = auditHash(chainedFields(r), prev);
    await db.updateTable('audit_log').set({ prev_hash: prev, hash }).where('id', '=', r.id).execute();
    prev = hash;
  }
  const last = rows.at(-1);
  if (last)
    await db
      .updateTable('audit_head')
      .set({ seq: Number(last.seq), hash: prev })
      .execute();
}
