import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialect } from '../src/db/database';
import { addIdColumn } from './id-column';

/**
 * Confirmed e-mail addresses: `users.email_confirmed_at`, and one row per
 * confirmation link sent (a sign-up's, or an address change's). Accounts that
 * exist before this migration were trusted with their address: they count as
 * confirmed when they were created. Only the SHA-256 of each token is stored.
 */
export function confirmEmailAddresses(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('email_confirmed_at', 'text').execute();
      await sql`update users set email_confirmed_at = created_at`.execute(db);
      await db.schema
        .createTable('email_confirmations')
        .$call((table) => addIdColumn(table, dialect))
        .addColumn('user_id', 'integer', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('purpose', 'text', (col) => col.notNull())
        .addColumn('email', 'text', (col) => col.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('full_name', 'text')
        .addColumn('token_hash', 'text', (col) => col.notNull().unique())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .addColumn('used_at', 'text')
        .execute();
      await db.schema
        .createIndex('email_confirmations_user_id')
        .on('email_confirmations')
        .column('user_id')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('email_confirmations').execute();
      await db.schema.alterTable('users').dropColumn('email_confirmed_at').execute();
    },
  };
}
