import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import request from 'supertest';
import { describeWithService } from '../helpers/services';
import { logMessages, type RunningServer } from '../helpers/spawn';
import {
  expectUnavailablePage,
  signUpThroughForm,
  UNAVAILABLE_MESSAGE,
  startFaultServer,
} from './support';
import { TcpProxy } from './tcp-proxy';

jest.setTimeout(90_000);

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const target = new URL(POSTGRES_URL);
/** How long an outage request may take: the pool's connect timeout (5 s) and some slack. */
const ANSWER_WITHIN_MS = 8000;

const describePostgres = describeWithService(
  'Postgres',
  target.hostname,
  Number(target.port || 5432),
);

describePostgres('Postgres going away under a running server', () => {
  // Everything this suite makes is its own: a schema, an application_name
  // for its connections, and a relay it can cut. The shared server is never
  // restarted; its other clients never notice.
  const schema = `gatehouse_fault_${randomUUID().replace(/-/g, '')}`;
  const applicationName = `gatehouse-fault-${randomUUID()}`;
  let admin: Pool;
  let proxy: TcpProxy;
  let server: RunningServer;
  let signups = 0;

  const nextEmail = () => `pg-fault-${(signups += 1)}@example.com`;

  /**
   * Ends every connection the app has open, as a server restart does (57P01).
   * The server is shared with other test runs, whose connections must never
   * be touched: in a plain WHERE, SQL does not promise to test the
   * application_name before calling pg_terminate_backend, so the app's pids
   * are picked first (a MATERIALIZED CTE is evaluated on its own) and only
   * those are terminated.
   */
  async function terminateAppConnections(): Promise<number> {
    const { rows } = await admin.query<{ pid: number }>(
      `with ours as materialized (
         select pid from pg_stat_activity
          where application_name = $1 and pid <> pg_backend_pid()
       )
       select pid from ours where pg_terminate_backend(pid)`,
      [applicationName],
    );
    return rows.length;
  }

  async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const started = Date.now();
    const result = await work();
    return { result, ms: Date.now() - started };
  }

  beforeAll(async () => {
    admin = new Pool({ connectionString: POSTGRES_URL, max: 1 });
    await admin.query(`create schema ${schema}`);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const url = new URL(POSTGRES_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    url.searchParams.set('options', `-c search_path=${schema}`);
    url.searchParams.set('application_name', applicationName);
    server = await startFaultServer(url.toString());
  });
  afterAll(async () => {
    await server?.kill();
    await proxy?.close();
    await admin?.query(`drop schema if exists ${schema} cascade`);
    await admin?.end();
  });
  afterEach(async () => {
    await proxy.restore();
    // Whatever a test did, the same process is still the one serving.
    expect(server.child.exitCode).toBeNull();
  });

  it('survives its idle connections being terminated, logs it, and reconnects on demand', async () => {
    expect((await signUpThroughForm(request.agent(server.url), nextEmail())).status).toBe(303);
    expect(await terminateAppConnections()).toBeGreaterThan(0);

    // An idle client's 'error' with no listener would end the process here.
    await server.waitForOutput('database connection lost', 10_000);
    expect(server.child.exitCode).toBeNull();
    const res = await signUpThroughForm(request.agent(server.url), nextEmail());
    expect(res.status).toBe(303);
    await request(server.url).get('/readyz').expect(200);
  });

  it('answers 503 (never a crash or a 500) while connections are terminated under a burst, then recovers', async () => {
    const burst = Array.from({ length: 30 }, () =>
      signUpThroughForm(request.agent(server.url), nextEmail()),
    );
    // Terminated again and again while the sign-ups run: some die mid-query,
    // on a client lent out to a transaction, not idle in the pool.
    let isBurstOver = false;
    const killer = (async () => {
      while (!isBurstOver) {
        await terminateAppConnections();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    let answers: Awaited<(typeof burst)[number]>[];
    try {
      answers = await Promise.all(burst);
    } finally {
      isBurstOver = true;
      await killer;
    }
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status !== 303 && status !== 503)).toEqual([]);
    for (const res of answers.filter((answer) => answer.status === 503)) {
      expectUnavailablePage(res);
    }
    expect(server.child.exitCode).toBeNull();
    expect((await signUpThroughForm(request.agent(server.url), nextEmail())).status).toBe(303);
  });

  it('answers 503 quickly while the server is unreachable, and serves again once it is back', async () => {
    await proxy.cut();
    const started = Date.now();

    // Liveness stays up (restarting the app would not help); readiness goes down.
    const health = await timed(() => request(server.url).get('/healthz'));
    expect(health.result.status).toBe(200);
    expect(health.ms).toBeLessThan(ANSWER_WITHIN_MS);
    const ready = await timed(() => request(server.url).get('/readyz'));
    expect(ready.result.status).toBe(503);
    expect(ready.result.body).toEqual({ status: 'unavailable', database: 'unreachable' });

    const signup = await timed(() => signUpThroughForm(request.agent(server.url), nextEmail()));
    expectUnavailablePage(signup.result);
    expect(signup.ms).toBeLessThan(ANSWER_WITHIN_MS);
    const api = await request(server.url)
      .post('/token')
      .set('Accept', 'application/json')
      .type('form')
      .send({ username: 'someone@example.com', password: 'whatever it is' });
    expect(api.status).toBe(503);
    expect(api.body).toEqual({ error: 'database_unavailable', message: UNAVAILABLE_MESSAGE });
    // Pages that need no database still answer.
    await request(server.url).get('/').expect(200);

    // About two seconds of outage in all, then the server is back.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2000 - (Date.now() - started))));
    await proxy.restore();
    const recovered = await signUpThroughForm(request.agent(server.url), nextEmail());
    expect(recovered.status).toBe(303);
    await request(server.url).get('/readyz').expect(200);
    const faults = logMessages(server.stdout()).filter((msg) => msg === 'database unavailable');
    expect(faults.length).toBeGreaterThanOrEqual(2);
  });

  it('does not hang when the server accepts connections but never answers', async () => {
    // Connections dropped, new ones swallowed: a partition or a dead host.
    proxy.blackHole();
    const signup = await timed(() => signUpThroughForm(request.agent(server.url), nextEmail()));
    expectUnavailablePage(signup.result);
    expect(signup.ms).toBeLessThan(ANSWER_WITHIN_MS);

    await proxy.restore();
    expect((await signUpThroughForm(request.agent(server.url), nextEmail())).status).toBe(303);
  });
});
