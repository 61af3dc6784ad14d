import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../src/db/database';
import { addIdColumn } from './id-column';

/** The audit trail the account page shows: who signed in, failed, was throttled, revoked. */
export function createAuthEventsTable(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('auth_events')
        .$call((table) => addIdColumn(table, dialect))
        .addColumn('user_id', 'integer', (col) => col.references('users.id').onDelete('cascade'))
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('created_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('auth_events_user_created')
        .on('auth_events')
        .columns(['user_id', 'created_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('auth_events').execute();
    },
  };
}
