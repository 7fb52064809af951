import type { Kysely, Migration } from 'kysely';

/**
 * An order's free-text notes (delivery instructions, gift messages) were accepted and then
 * dropped, so a re-post that changed only the notes looked identical. They are kept now, sealed:
 * buyers write names, phone numbers and door codes in them.
 */
export const orderNotes = (): Migration => ({ up, down });

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').addColumn('notes_sealed', 'text').execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('notes_sealed').execute();
}
