import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { DatabaseHandle } from '../../src/db/database';
import { migrateDown, migrateToLatest } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import { describeWithService } from '../helpers/services';
import { createPostgresSchema } from '../helpers/test-app';

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const describeWithPostgres = describeWithService('Postgres', '127.0.0.1', 5432);

/** Another client of the same database, creating and dropping schemas of its own until stopped. */
function churnSchemas(): { stop(): Promise<number> } {
  const admin = new Pool({ connectionString: POSTGRES_URL, max: 1 });
  const prefix = `gatehouse_churn_${randomUUID().slice(0, 8)}`;
  let isStopped = false;
  let rounds = 0;
  const loop = (async () => {
    while (!isStopped) {
      const schema = `${prefix}_${rounds++}`;
      await admin.query(
        `create schema ${schema}; create table ${schema}.t (id serial primary key)`,
      );
      await admin.query(`drop schema ${schema} cascade`);
    }
  })();
  return {
    async stop() {
      isStopped = true;
      await loop;
      await admin.end();
      return rounds;
    },
  };
}

describeWithPostgres('the Postgres introspector the migrator uses', () => {
  let schema: Awaited<ReturnType<typeof createPostgresSchema>>;
  let handle: DatabaseHandle;
  beforeEach(async () => {
    schema = await createPostgresSchema();
    handle = openDatabase({ kind: 'postgres', connectionString: schema.url });
    await migrateToLatest(handle);
  });
  afterEach(async () => {
    await handle.close();
    await schema.drop();
  });

  it("describes the current schema's tables as Kysely's own introspector does", async () => {
    const stock = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new Pool({ connectionString: schema.url, max: 1 }) }),
    });
    try {
      const [current] = (
        await handle.db.selectNoFrom((eb) => eb.fn<string>('current_schema').as('name')).execute()
      ).map((row) => row.name);
      const expected = (await stock.introspection.getTables({ withInternalKyselyTables: true }))
        .filter((table) => table.schema === current)
        .map(({ columns, ...table }) => ({
          ...table,
          columns: columns.map((column) => ({ ...column, comment: column.comment ?? undefined })),
        }));
      const ours = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
      expect(ours.map((table) => table.name)).toEqual(
        expect.arrayContaining(['users', 'sessions']),
      );
      expect(ours).toEqual(expected);
    } finally {
      await stock.destroy();
    }
  });

  it("lists no other schema's tables, and leaves out Kysely's own unless asked", async () => {
    const other = await createPostgresSchema();
    const otherDb = openDatabase({ kind: 'postgres', connectionString: other.url });
    try {
      await otherDb.db.schema.createTable('only_elsewhere').addColumn('id', 'integer').execute();
      const names = (await handle.db.introspection.getTables()).map((table) => table.name);
      expect(names).toContain('users');
      expect(names).not.toContain('only_elsewhere');
      expect(names).not.toContain('kysely_migration');
    } finally {
      await otherDb.close();
      await other.drop();
    }
  });

  // Kysely's stock introspector failed 268 of 3,939 calls beside this churn
  // ("schema … does not exist"), which failed migrations in CI's Postgres pass.
  it('keeps migrating while another client creates and drops schemas', async () => {
    const churn = churnSchemas();
    try {
      for (let round = 0; round < 40; round += 1) {
        await migrateDown(handle);
        await migrateToLatest(handle);
      }
    } finally {
      expect(await churn.stop()).toBeGreaterThan(20);
    }
  });
});
