import type { CreateTableBuilder } from 'kysely';
import type { SqlDialect } from '../src/db/database';

/**
 * An integer primary key that is never reused: AUTOINCREMENT on SQLite, an
 * identity column on Postgres. `integer` (not bigint) so Postgres returns numbers.
 */
export function addIdColumn<T extends string>(
  table: CreateTableBuilder<T, never>,
  dialect: SqlDialect,
): CreateTableBuilder<T, 'id'> {
  return dialect === 'postgres'
    ? table.addColumn('id', 'integer', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    : table.addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement());
}
