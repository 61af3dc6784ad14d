import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../src/db/database';
import { addIdColumn } from './id-column';

/** Password reset links: only the SHA-256 of each token is stored, never the token. */
export function createPasswordResetsTable(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('password_resets')
        .$call((table) => addIdColumn(table, dialect))
        .addColumn('user_id', 'integer', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('token_hash', 'text', (col) => col.notNull().unique())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('used_at', 'text')
        .execute();
      await db.schema
        .createIndex('password_resets_user_id')
        .on('password_resets')
        .column('user_id')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('password_resets').execute();
    },
  };
}
