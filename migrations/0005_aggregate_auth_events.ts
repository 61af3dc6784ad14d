import type { Kysely, Migration } from 'kysely';

/**
 * Refused (throttled) attempts are stored as one row per client and window
 * with a count, not one row each; and rows older than the retention are
 * purged, which needs an index on created_at.
 */
export const aggregateAuthEvents: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('auth_events')
      .addColumn('count', 'integer', (col) => col.notNull().defaultTo(1))
      .execute();
    await db.schema
      .createIndex('auth_events_created')
      .on('auth_events')
      .column('created_at')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('auth_events_created').execute();
    await db.schema.alterTable('auth_events').dropColumn('count').execute();
  },
};
