import type { Kysely, Migration } from 'kysely';

/**
 * A job's last error as the partner wrote it, sealed: partners echo the consignee's name, phone
 * or address in their error texts, so `last_error` and the attempt history keep only a masked
 * form and the original lives here, under the data-key ring like every other personal field.
 */
export const sealedJobErrors = (): Migration => ({ up, down });

async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('error_sealed', 'text').execute();
}

async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('error_sealed').execute();
}
