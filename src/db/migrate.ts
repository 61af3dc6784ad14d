import { Migrator, sql, type MigrationResultSet } from 'kysely';
import { listMigrations } from '../../migrations';
import type { DatabaseHandle } from './database';

async function createMigrator(handle: DatabaseHandle): Promise<Migrator> {
  return new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => listMigrations(handle.dialect) },
    // On Postgres, Kysely looks for its bookkeeping tables in every schema
    // unless told which: another schema's copy (a second app, a test run)
    // would be taken for ours. Pin them to the connection's current schema.
    ...(handle.dialect === 'postgres'
      ? { migrationTableSchema: await currentPostgresSchema(handle) }
      : {}),
  });
}

async function currentPostgresSchema(handle: DatabaseHandle): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
    handle.db,
  );
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('the Postgres connection has no current schema (check search_path)');
  return schema;
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) throw result.error;
  return (result.results ?? []).map((step) => `${step.direction} ${step.migrationName}`);
}

/** Applies every pending migration; returns one line per applied step. */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  return unwrap(await (await createMigrator(handle)).migrateToLatest());
}

/** Reverts the most recent migration. */
export async function migrateDown(handle: DatabaseHandle): Promise<string[]> {
  return unwrap(await (await createMigrator(handle)).migrateDown());
}

/** True when every known migration has been applied. */
export async function isSchemaCurrent(handle: DatabaseHandle): Promise<boolean> {
  const migrations = await (await createMigrator(handle)).getMigrations();
  return migrations.every((migration) => migration.executedAt !== undefined);
}
