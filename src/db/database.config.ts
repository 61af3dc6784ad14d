import path from 'node:path';
import { z } from 'zod';
import { field, flag, integer, refuse, type FieldValues } from '../config-fields';
import { projectRoot } from '../paths';

export type DatabaseLocation =
  { kind: 'sqlite'; filename: string } | { kind: 'postgres'; connectionString: string };

export interface DatabaseSettings {
  database: DatabaseLocation;
  /** Postgres connections per instance (pg pool size); unused on SQLite. */
  databasePoolSize: number;
  migrateOnStart: boolean;
}

/** Parses DATABASE_URL: unset means the embedded SQLite file under data/. */
export function parseDatabaseUrl(url: string | undefined): DatabaseLocation {
  if (url === undefined) {
    return { kind: 'sqlite', filename: path.join(projectRoot, 'data', 'gatehouse.db') };
  }
  if (url.startsWith('sqlite:')) {
    const target = url.slice('sqlite:'.length);
    if (target === '') throw new Error('sqlite: needs a path, e.g. sqlite:data/gatehouse.db');
    return { kind: 'sqlite', filename: target === ':memory:' ? ':memory:' : path.resolve(target) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return { kind: 'postgres', connectionString: url };
  }
  throw new Error('must start with sqlite: or postgres://');
}

export const databaseVariables = {
  DATABASE_URL: field(
    z
      .string()
      .trim()
      .transform((url, ctx) => {
        try {
          return parseDatabaseUrl(url);
        } catch (error) {
          return refuse(ctx, (error as Error).message);
        }
      })
      // A new object per load, as each load's result is frozen whole.
      .default(() => parseDatabaseUrl(undefined)),
  ),
  DATABASE_POOL_SIZE: integer(1, 1000, 10),
  MIGRATE_ON_START: flag(true),
};

export function readDatabaseSettings(
  values: FieldValues<typeof databaseVariables>,
): DatabaseSettings {
  return {
    database: values.DATABASE_URL,
    databasePoolSize: values.DATABASE_POOL_SIZE,
    migrateOnStart: values.MIGRATE_ON_START,
  };
}
