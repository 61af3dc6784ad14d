import { Migrator, type MigrationResultSet } from 'kysely';
import { listMigrations } from '../../migrations';
import type { DatabaseHandle } from './database';

function createMigrator(handle: DatabaseHandle): Migrator {
  return new Migrator({
    db: handle.db,
    provider: { getMigrations: async () => listMigrations(handle.dialect) },
  });
}

function unwrap(result: MigrationResultSet): string[] {
  if (result.error) throw result.error;
  return (result.results ?? []).map((step) => `${step.direction} ${step.migrationName}`);
}

/** Applies every pending migration; returns one line per applied step. */
export async function migrateToLatest(handle: DatabaseHandle): Promise<string[]> {
  return unwrap(await createMigrator(handle).migrateToLatest());
}

/** Reverts the most recent migration. */
export async function migrateDown(handle: DatabaseHandle): Promise<string[]> {
  return unwrap(await createMigrator(handle).migrateDown());
}

/** True when every known migration has been applied. */
export async function isSchemaCurrent(handle: DatabaseHandle): Promise<boolean> {
  const migrations = await createMigrator(handle).getMigrations();
  return migrations.every((migration) => migration.executedAt !== undefined);
}
