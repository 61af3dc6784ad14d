import type { Migration } from 'kysely';
import type { SqlDialect } from '../src/db/database';
import { createUsersTable } from './0001_create_users';
import { createSessionsTable } from './0002_create_sessions';
import { createAuthEventsTable } from './0003_create_auth_events';
import { createPasswordResetsTable } from './0004_create_password_resets';
import { aggregateAuthEvents } from './0005_aggregate_auth_events';
import { recordSessionAuthentication } from './0008_record_session_authentication';
import { confirmEmailAddresses } from './0009_confirm_email_addresses';
import { createTwoStepTables } from './0010_two_step_sign_in';

/**
 * Every migration in order. Listed by hand rather than read from the folder so
 * the same list works from TypeScript (tests) and from the compiled dist/.
 */
export function listMigrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    '0001_create_users': createUsersTable(dialect),
    '0002_create_sessions': createSessionsTable,
    '0003_create_auth_events': createAuthEventsTable(dialect),
    '0004_create_password_resets': createPasswordResetsTable(dialect),
    '0005_aggregate_auth_events': aggregateAuthEvents,
    '0008_record_session_authentication': recordSessionAuthentication,
    '0009_confirm_email_addresses': confirmEmailAddresses(dialect),
    '0010_two_step_sign_in': createTwoStepTables(dialect),
  };
}
