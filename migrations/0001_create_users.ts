import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialect } from '../src/db/database';
import { addIdColumn } from './id-column';

export function createUsersTable(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .$call((table) => addIdColumn(table, dialect))
        .addColumn('email', 'text', (col) => col.notNull())
        .addColumn('full_name', 'text', (col) => col.notNull())
        .addColumn('password_hash', 'text', (col) => col.notNull())
        .addColumn('is_active', 'integer', (col) => col.notNull().defaultTo(1))
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .addColumn('last_login_at', 'text')
        .addCheckConstraint('users_is_active_flag', sql`is_active in (0, 1)`)
        .execute();
      await db.schema
        .createIndex('users_email_unique')
        .on('users')
        .column('email')
        .unique()
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('users').execute();
    },
  };
}
