import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../src/db/database';
import { addIdColumn } from './id-column';

/**
 * Two-step sign-in (TOTP): one authenticator per user, its single-use
 * recovery codes, and the half-done logins waiting for a code. Secrets are
 * stored encrypted, codes and challenge ids only as SHA-256 hashes.
 */
export function createTwoStepTables(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('two_step_credentials')
        .addColumn('user_id', 'integer', (col) =>
          col.primaryKey().references('users.id').onDelete('cascade'),
        )
        .addColumn('secret_sealed', 'text', (col) => col.notNull())
        .addColumn('created_at', 'text', (col) => col.notNull())
        // Null while the setup waits for its first correct code.
        .addColumn('enabled_at', 'text')
        // The 30-second step of the last accepted code: a code is never accepted twice.
        .addColumn('last_used_step', 'integer')
        .execute();
      await db.schema
        .createTable('recovery_codes')
        .$call((table) => addIdColumn(table, dialect))
        .addColumn('user_id', 'integer', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('code_hash', 'text', (col) => col.notNull().unique())
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('used_at', 'text')
        .execute();
      await db.schema
        .createIndex('recovery_codes_user_id')
        .on('recovery_codes')
        .column('user_id')
        .execute();
      await db.schema
        .createTable('login_challenges')
        .addColumn('id_hash', 'text', (col) => col.primaryKey())
        .addColumn('user_id', 'integer', (col) =>
          col.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('expires_at', 'text', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('login_challenges_expires_at')
        .on('login_challenges')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('login_challenges').execute();
      await db.schema.dropTable('recovery_codes').execute();
      await db.schema.dropTable('two_step_credentials').execute();
    },
  };
}
