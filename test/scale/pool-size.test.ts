import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { describeWithService } from '../helpers/services';
import { startServer, type RunningServer } from '../helpers/spawn';
import { createPostgresSchema, FAST_ARGON2_ENV } from '../helpers/test-app';

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const describeWithPostgres = describeWithService('Postgres', '127.0.0.1', 5432);

describeWithPostgres('DATABASE_POOL_SIZE', () => {
  let server: RunningServer | undefined;
  let schema: Awaited<ReturnType<typeof createPostgresSchema>>;
  const admin = new Pool({ connectionString: POSTGRES_URL, max: 1 });
  afterEach(async () => {
    await server?.kill();
    await schema.drop();
  });
  afterAll(() => admin.end());

  it('bounds the connections one instance opens, however many requests arrive', async () => {
    schema = await createPostgresSchema();
    const name = `gatehouse-pool-${randomUUID().slice(0, 8)}`;
    const url = new URL(schema.url);
    url.searchParams.set('application_name', name);
    server = await startServer({
      NODE_ENV: 'production',
      COOKIE_SECURE: 'false',
      HOST: '127.0.0.1',
      PORT: '0',
      JWT_SECRET: 'pool-size-test-secret-0123456789abcdef0123',
      DATABASE_URL: url.toString(),
      DATABASE_POOL_SIZE: '3',
      ...FAST_ARGON2_ENV,
    });
    const base = server.url;
    // Each readiness check holds a connection for two queries: 60 at once want many.
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => fetch(`${base}/readyz`).then((res) => res.status)),
    );
    expect(answers.every((status) => status === 200)).toBe(true);
    const { rows } = await admin.query<{ count: string }>(
      'select count(*) from pg_stat_activity where application_name = $1',
      [name],
    );
    const open = Number(rows[0]?.count);
    expect(open).toBeGreaterThanOrEqual(1);
    expect(open).toBeLessThanOrEqual(3);
  });
});
