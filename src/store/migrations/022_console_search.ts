import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectName } from '../dialect.js';

/**
 * The console on a store of a million orders [003-6.2], the two operations that read every row:
 *
 * - Order search (`q=`: an order id, any part of an external id, or a waybill number). A
 *   substring cannot use a b-tree, so the external ids get a trigram index: on SQLite an FTS5
 *   table with the `trigram` tokenizer (case-sensitive, like the search), kept by triggers; on
 *   PostgreSQL a GIN `gin_trgm_ops` index (the `pg_trgm` extension, shipped with Debian's
 *   postgresql package). Where the extension cannot be created (a managed server that forbids
 *   it), the migration goes on without it: the search stays exact, only slower (a scan). Waybill
 *   numbers get their own index (the unique one leads with the carrier).
 * - The 30-day service quality: the wait from order to waybill joined every shipment to its
 *   order. An order's `created_at` never changes, so the shipment carries a copy, filled by a
 *   trigger on insert whoever writes the row, and the carrier statistics read one covering index.
 */
export const consoleSearch = (dialect: DialectName): Migration => ({
  up: (db) => up(db, dialect),
  down: (db) => down(db, dialect),
});

async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const isPg = dialect === 'postgres';
  await db.schema
    .createIndex('shipments_waybill')
    .on('shipments')
    .columns(['waybill_no', 'order_id'])
    .execute();

  await db.schema
    .alterTable('shipments')
    .addColumn('order_created_at', isPg ? 'bigint' : 'integer')
    .execute();
  await sql`update shipments set order_created_at =
    (select o.created_at from orders o where o.id = shipments.order_id)`.execute(db);
  if (isPg) {
    await sql`create function shipments_order_created_at() returns trigger language plpgsql as $$
      begin
        if new.order_created_at is null then
          select created_at into new.order_created_at from orders where id = new.order_id;
        end if;
        return new;
      end $$`.execute(db);
    await sql`create trigger shipments_order_created_at before insert on shipments
      for each row execute function shipments_order_created_at()`.execute(db);
  } else {
    await sql`create trigger shipments_order_created_at after insert on shipments
      when new.order_created_at is null begin
        update shipments set order_created_at =
          (select created_at from orders where id = new.order_id) where rowid = new.rowid;
      end`.execute(db);
  }
  // Replaces 014's shipments index: the same leading columns, the order's time instead of its id.
  await db.schema.dropIndex('shipments_created_carrier').execute();
  await db.schema
    .createIndex('shipments_created_wait')
    .on('shipments')
    .columns(['created_at', 'carrier', 'status', 'order_created_at'])
    .execute();

  if (isPg) {
    await createTrigramIndex(db);
    return;
  }
  // A table of its own (not external content keyed by rowid: VACUUM may renumber the rowids of
  // a table without an INTEGER PRIMARY KEY). Orders are never deleted by the hub; a delete
  // trigger keeps the index right if an operator purges some.
  await sql`create virtual table orders_text using fts5(
    external_id, order_id unindexed, tokenize = 'trigram case_sensitive 1')`.execute(db);
  await sql`insert into orders_text (external_id, order_id) select external_id, id from orders`.execute(db);
  await sql`create trigger orders_text_insert after insert on orders begin
      insert into orders_text (external_id, order_id) values (new.external_id, new.id);
    end`.execute(db);
  await sql`create trigger orders_text_update after update of external_id on orders begin
      delete from orders_text where order_id = old.id;
      insert into orders_text (external_id, order_id) values (new.external_id, new.id);
    end`.execute(db);
  await sql`create trigger orders_text_delete after delete on orders begin
      delete from orders_text where order_id = old.id;
    end`.execute(db);
}

/**
 * `pg_trgm` is a trusted extension (PostgreSQL 13+): a database owner may create it. A failure
 * (not installed, not allowed) is rolled back to a savepoint so the rest of the migration stands.
 */
async function createTrigramIndex(db: Kysely<unknown>): Promise<void> {
  await sql`savepoint waygate_trgm`.execute(db);
  try {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create index orders_external_id_trgm on orders using gin (external_id gin_trgm_ops)`.execute(
      db,
    );
    await sql`release savepoint waygate_trgm`.execute(db);
  } catch {
    await sql`rollback to savepoint waygate_trgm`.execute(db);
  }
}

async function down(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    await sql`drop index if exists orders_external_id_trgm`.execute(db);
    await sql`drop trigger shipments_order_created_at on shipments`.execute(db);
    await sql`drop function shipments_order_created_at()`.execute(db);
  } else {
    await sql`drop trigger orders_text_insert`.execute(db);
    await sql`drop trigger orders_text_update`.execute(db);
    await sql`drop trigger orders_text_delete`.execute(db);
    await sql`drop table orders_text`.execute(db);
    await sql`drop trigger shipments_order_created_at`.execute(db);
  }
  await db.schema.dropIndex('shipments_created_wait').execute();
  await db.schema
    .createIndex('shipments_created_carrier')
    .on('shipments')
    .columns(['created_at', 'carrier', 'status', 'order_id'])
    .execute();
  await db.schema.alterTable('shipments').dropColumn('order_created_at').execute();
  await db.schema.dropIndex('shipments_waybill').execute();
}
