/**
 * The data-key ring in the database and online key rotation. Every node loads the ring at
 * start and refreshes it every few seconds, so a key added by `waygate keys rotate` on another
 * process is used for new writes within one refresh; the rotation then re-seals every existing
 * value under the new key in small batches while traffic continues, and retires the old keys
 * once no value needs them.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { DataKeyCipher } from './sealing.js';

/** Columns that hold sealed personal data, with the context bound into each value. */
export const SEALED_COLUMNS = [
  { table: 'orders', column: 'recipient', context: 'orders.recipient' },
  { table: 'inbound_messages', column: 'body', context: 'inbound_messages.body' },
  { table: 'jobs', column: 'error_sealed', context: 'jobs.error' },
  { table: 'orders', column: 'customs_sealed', context: 'orders.customs' },
  { table: 'orders', column: 'notes_sealed', context: 'orders.notes' },
  { table: 'customs_declarations', column: 'message_sealed', context: 'customs_declarations.message' },
  { table: 'customs_declarations', column: 'last_info_sealed', context: 'customs_declarations.info' },
] as const;

export type SealedColumn = (typeof SEALED_COLUMNS)[number];

/** Nodes pick up a rotated key within this interval (the rotation waits for it, twice over). */
export const KEY_REFRESH_MS = 2_000;

export class KeyRing {
  private maxSeq = 0;

  /** `cipher` comes from above (security/field-cipher.ts); the ring only stores and loads its keys. */
  constructor(
    private readonly db: Kysely<Database>,
    readonly cipher: DataKeyCipher,
  ) {}

  /** Loads keys added since the last call; creates the first key on a brand-new database. */
  async refresh(): Promise<void> {
    let rows = await this.newKeys();
    if (rows.length === 0 && this.maxSeq === 0) {
      await this.insertKey(1);
      rows = await this.newKeys();
    }
    for (const r of rows) {
      this.cipher.addKey(r.id, r.wrapped, false);
      this.maxSeq = Math.max(this.maxSeq, r.seq);
    }
    const active = rows.find((r) => r.seq === this.maxSeq);
    if (active) this.cipher.addKey(active.id, active.wrapped, true);
  }

  /** Adds the next key; the caller's ring and, within a refresh, every node seal with it. */
  async addNextKey(): Promise<string> {
    await this.refresh();
    const id = await this.insertKey(this.maxSeq + 1);
    await this.refresh();
    return id;
  }

  /** Opens a sealed value, loading the ring again once if the value names a key not yet seen. */
  async open(value: string, context: string): Promise<string> {
    const keyId = this.cipher.keyIdOf(value);
    if (keyId !== undefined && !this.cipher.hasKey(keyId)) await this.refresh();
    return this.cipher.open(value, context);
  }

  private async newKeys() {
    return this.db
      .selectFrom('data_keys')
      .select(['id', 'seq', 'wrapped'])
      .where('seq', '>', this.maxSeq)
      .orderBy('seq', 'asc')
      .execute();
  }

  private async insertKey(seq: number): Promise<string> {
    const id = `k${seq}`;
    const { wrapped } = this.cipher.wrapNewKey();
    // Two processes racing to create the same key: the unique seq keeps one, the other re-reads.
    await this.db
      .insertInto('data_keys')
      .values({
        id,
        seq,
        wrapped,
        provider: this.cipher.providerId,
        created_at: Date.now(),
        retired_at: null,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    return id;
  }
}

export interface KeyUsage {
  table: string;
  column: string;
  keyId: string;
  rows: number;
}

/** How many values of each sealed column each key (or `plaintext`) holds. */
export async function keyUsage(db: Kysely<Database>, ring: KeyRing): Promise<KeyUsage[]> {
  const out: KeyUsage[] = [];
  for (const col of SEALED_COLUMNS) {
    const counts = new Map<string, number>();
    let after = '';
    for (;;) {
      const rows = await rowsAfter(db, col, after, 2000);
      if (rows.length === 0) break;
      for (const r of rows) {
        const keyId = ring.cipher.keyIdOf(r.value) ?? 'plaintext';
        counts.set(keyId, (counts.get(keyId) ?? 0) + 1);
      }
      after = rows[rows.length - 1]?.id ?? after;
    }
    for (const [keyId, rows] of counts) out.push({ table: col.table, column: col.column, keyId, rows });
  }
  return out;
}

async function rowsAfter(
  db: Kysely<Database>,
  col: SealedColumn,
  afterId: string,
  limit: number,
): Promise<{ id: string; value: string }[]> {
  // The sealed columns live in different tables; each has a text primary key `id`. A column
  // that may be empty (a job without an error) has nothing to count or re-seal in those rows.
  const rows = await db
    .selectFrom(col.table)
    .select(['id', `${col.column} as value`] as never)
    .where(col.column as never, 'is not', null)
    .where('id', '>', afterId)
    .orderBy('id', 'asc')
    .limit(limit)
    .execute();
  return rows as unknown as { id: string; value: string }[];
}

export interface RotationProgress {
  table: string;
  resealed: number;
  pass: number;
}

export interface RotationOptions {
  batchSize?: number;
  /** How long other nodes may keep sealing with the old key after it stops being active. */
  graceMs?: number;
  onProgress?: (p: RotationProgress) => void;
  /** Blind-index columns recomputed for rows sealed before the index existed. */
  reindex?: (recipientJson: string) => { email: string | null; phone: string | null };
}

export interface RotationResult {
  newKeyId: string;
  resealed: number;
  retired: string[];
}

/**
 * Re-seals every value not under the active key, in batches, each row updated only if it still
 * holds the value that was read (a concurrent writer wins; its value is picked up next pass).
 * Plaintext left from before encryption existed is sealed too.
 */
export async function resealAll(
  db: Kysely<Database>,
  ring: KeyRing,
  opts: RotationOptions = {},
): Promise<number> {
  const batch = opts.batchSize ?? 500;
  const active = ring.cipher.activeKeyId;
  let total = 0;
  for (const col of SEALED_COLUMNS) {
    for (let pass = 1; ; pass++) {
      let after = '';
      let passCount = 0;
      for (;;) {
        const rows = await rowsAfter(db, col, after, batch);
        if (rows.length === 0) break;
        after = rows[rows.length - 1]?.id ?? after;
        const stale = rows.filter((r) => ring.cipher.keyIdOf(r.value) !== active);
        for (const r of stale) {
          const plaintext = ring.cipher.keyIdOf(r.value) === undefined;
          const plain = plaintext ? r.value : await ring.open(r.value, col.context);
          const set: Record<string, string | null> = { [col.column]: ring.cipher.seal(plain, col.context) };
          if (col.table === 'orders' && col.column === 'recipient' && opts.reindex) {
            const idx = opts.reindex(plain);
            set.recipient_email_bidx = idx.email;
            set.recipient_phone_bidx = idx.phone;
          }
          const res = await db
            .updateTable(col.table)
            .set(set as never)
            .where('id', '=', r.id)
            .where(col.column as never, '=', r.value as never)
            .executeTakeFirst();
          passCount += Number(res.numUpdatedRows);
        }
        opts.onProgress?.({ table: col.table, resealed: passCount, pass });
      }
      total += passCount;
      if (passCount === 0) break;
    }
  }
  return total;
}

/**
 * `waygate keys rotate`: adds a key, waits until every node seals with it, re-seals all values,
 * checks once more after the grace period, and retires the keys no value uses any more.
 */
export async function rotateDataKeys(
  db: Kysely<Database>,
  ring: KeyRing,
  opts: RotationOptions = {},
): Promise<RotationResult> {
  const newKeyId = await ring.addNextKey();
  const grace = opts.graceMs ?? 2 * KEY_REFRESH_MS;
  await sleep(grace);
  let resealed = await resealAll(db, ring, opts);
  // A node that had not refreshed yet may have written under the old key during the first sweep.
  await sleep(grace);
  resealed += await resealAll(db, ring, opts);
  const usage = await keyUsage(db, ring);
  const inUse = new Set(usage.map((u) => u.keyId));
  const old = await db
    .selectFrom('data_keys')
    .select('id')
    .where('id', '!=', newKeyId)
    .where('retired_at', 'is', null)
    .execute();
  const retired = old.map((r) => r.id).filter((id) => !inUse.has(id));
  if (retired.length > 0) {
    await db.updateTable('data_keys').set({ retired_at: Date.now() }).where('id', 'in', retired).execute();
  }
  return { newKeyId, resealed, retired };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
