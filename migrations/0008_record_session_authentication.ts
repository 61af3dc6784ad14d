import { sql, type Kysely, type Migration } from 'kysely';

/**
 * When the session's owner last proved who they are (the login itself, or a
 * re-entered password): sensitive changes ask for it to be recent ("sudo
 * mode"). Existing sessions count as proven when they started.
 */
export const recordSessionAuthentication: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').addColumn('authenticated_at', 'text').execute();
    await sql`update sessions set authenticated_at = created_at`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').dropColumn('authenticated_at').execute();
  },
};
