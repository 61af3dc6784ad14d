import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listMigrations } from '../migrations';
import type { DatabaseHandle } from '../src/db/database';
import { isSchemaCurrent } from '../src/db/migrate';
import { openDatabase } from '../src/db/open-database';
import { extractCsrfToken } from './helpers/browser';
import {
  httpRequest,
  type HttpResponse,
  logMessages,
  runNode,
  startServer,
  type Exit,
  type RunningServer,
} from './helpers/spawn';

jest.setTimeout(60_000);

const SECRET_40 = 'a-forty-character-secret-0123456789abcde';
/** One of the shipped development users (migrations/seeds/development-users.json). */
const ALICE = { email: 'alice@example.com', password: 'correct horse battery staple' };

/** The error code a request fails with, or undefined if it got an answer. */
async function connectionError(port: number): Promise<string | undefined> {
  try {
    await httpRequest(port, { path: '/healthz' });
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** The login form's CSRF cookie (as a Cookie header) and token, as a browser gets them. */
async function fetchLoginForm(port: number): Promise<{ cookie: string; token: string }> {
  const res = await httpRequest(port, { path: '/login' });
  expect(res.status).toBe(200);
  const csrfCookie = (res.headers['set-cookie'] ?? []).find((line) => line.startsWith('csrf='));
  if (!csrfCookie) throw new Error('no csrf cookie on /login');
  return { cookie: csrfCookie.split(';')[0] ?? '', token: extractCsrfToken(res.body) };
}

/**
 * A login POST whose headers reach the server (it answers 100 Continue, so the
 * request is in flight) while its body is held back until `release()`.
 */
function startHeldLogin(port: number, form: { cookie: string; token: string }) {
  const body = new URLSearchParams({ _csrf: form.token, ...ALICE }).toString();
  let release = () => {};
  let onContinue = () => {};
  const continued = new Promise<void>((resolve) => (onContinue = resolve));
  const response = new Promise<HttpResponse>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/login',
      agent: false,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        cookie: form.cookie,
        expect: '100-continue',
      },
    });
    req.on('continue', () => onContinue());
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
    });
    req.on('error', reject);
    req.flushHeaders();
    release = () => req.end(body);
  });
  return { continued, response, release: () => release() };
}

/** Resolves with the exit, or rejects if the process has not exited within `ms`. */
function exitWithin(server: RunningServer, ms: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
    void server.exited.then((exit) => {
      clearTimeout(timer);
      resolve(exit);
    });
  });
}

describe('node dist/src/server.js', () => {
  let dir: string;
  let servers: RunningServer[];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-server-'));
    servers = [];
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    rmSync(dir, { recursive: true, force: true });
  });

  const baseEnv = (dbFile: string): Record<string, string> => ({
    DATABASE_URL: `sqlite:${dbFile}`,
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: SECRET_40,
    LOG_LEVEL: 'info',
  });

  async function start(env: Record<string, string>): Promise<RunningServer> {
    const server = await startServer(env);
    servers.push(server);
    return server;
  }

  async function inspect<T>(dbFile: string, read: (handle: DatabaseHandle) => Promise<T>) {
    const handle = openDatabase({ kind: 'sqlite', filename: dbFile });
    try {
      return await read(handle);
    } finally {
      await handle.close();
    }
  }

  it('creates and migrates a new database file, says how to add users, and answers /healthz', async () => {
    const dbFile = path.join(dir, 'x', 'gatehouse.db');
    const server = await start(baseEnv(dbFile));

    expect(existsSync(dbFile)).toBe(true);
    expect(await inspect(dbFile, (handle) => isSchemaCurrent(handle))).toBe(true);
    const messages = logMessages(server.stdout());
    for (const name of Object.keys(listMigrations('sqlite'))) {
      expect(messages).toContain(`migration: Up ${name}`);
    }
    const hints = messages.filter((message) => message.includes('npm run db:seed'));
    expect(hints).toHaveLength(1);
    expect(server.stderr()).toBe('');

    const health = await httpRequest(server.port, { path: '/healthz' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    const ready = await httpRequest(server.port, { path: '/readyz' });
    expect(JSON.parse(ready.body)).toEqual({
      status: 'ready',
      database: 'ok',
      migrations: 'current',
    });

    server.child.kill('SIGTERM');
    expect(await exitWithin(server, 10_000)).toEqual({ code: 0, signal: null });
  });

  it('neither migrates again nor hints at seeding when the database already has users', async () => {
    const dbFile = path.join(dir, 'seeded.db');
    const seed = await runNode('cli/seed.js', [], {
      DATABASE_URL: `sqlite:${dbFile}`,
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME: '1',
    });
    expect(seed.code).toBe(0);
    const server = await start(baseEnv(dbFile));
    const messages = logMessages(server.stdout());
    expect(messages.filter((message) => message.startsWith('migration:'))).toEqual([]);
    expect(messages.some((message) => message.includes('db:seed'))).toBe(false);
  });

  it('warns that sessions end on restart when JWT_SECRET is not set in development', async () => {
    const env = baseEnv(path.join(dir, 'dev.db'));
    delete env.JWT_SECRET;
    const server = await start(env);
    const warning = logMessages(server.stdout()).find((message) => message.includes('JWT_SECRET'));
    expect(warning).toMatch(/random secret/);
  });

  it('exits 1 within seconds for PORT=abc, naming PORT, before touching the database', async () => {
    const dbFile = path.join(dir, 'never.db');
    const started = Date.now();
    const result = await runNode('server.js', [], { ...baseEnv(dbFile), PORT: 'abc' });
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Configuration error: PORT /m);
    expect(existsSync(dbFile)).toBe(false);
  });

  it('exits 1 in production without JWT_SECRET, naming JWT_SECRET', async () => {
    const env: Record<string, string> = {
      ...baseEnv(path.join(dir, 'prod.db')),
      NODE_ENV: 'production',
    };
    delete env.JWT_SECRET;
    const result = await runNode('server.js', [], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Configuration error: JWT_SECRET .*production/m);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const first = await start(baseEnv(path.join(dir, 'first.db')));
    const second = await runNode('server.js', [], {
      ...baseEnv(path.join(dir, 'second.db')),
      PORT: String(first.port),
    });
    expect(second.code).toBe(1);
    expect(logMessages(second.stdout)).toContain(
      `cannot listen on 127.0.0.1:${first.port}: EADDRINUSE`,
    );
  });

  it('on SIGTERM finishes in-flight logins, refuses new connections and exits 0', async () => {
    const dbFile = path.join(dir, 'graceful.db');
    // The seed CLI's default argon2 parameters are the production ones, as are the server's.
    const seed = await runNode('cli/seed.js', [], { DATABASE_URL: `sqlite:${dbFile}` });
    expect(seed.code).toBe(0);
    // A slow machine must not turn a queued hash into a 503: this test is about shutdown.
    const server = await start({ ...baseEnv(dbFile), HASH_QUEUE_TIMEOUT_MS: '30000' });

    const forms = await Promise.all([1, 2, 3, 4].map(() => fetchLoginForm(server.port)));
    const logins = forms.map((form) => startHeldLogin(server.port, form));
    await Promise.all(logins.map((login) => login.continued));

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await server.waitForOutput('SIGTERM: finishing in-flight requests', 10_000);
    // Listening has stopped while the four logins are still waiting for their bodies.
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain(await connectionError(server.port));

    for (const login of logins) login.release();
    const responses = await Promise.all(logins.map((login) => login.response));
    for (const res of responses) {
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/private');
      expect(res.headers['set-cookie']?.some((line) => line.startsWith('session='))).toBe(true);
    }

    expect(await exitWithin(server, 10_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(logMessages(server.stdout())).toContain('shut down cleanly');
    expect(await connectionError(server.port)).toBe('ECONNREFUSED');
    const sessions = await inspect(dbFile, ({ db }) =>
      db.selectFrom('sessions').select('id').execute(),
    );
    expect(sessions).toHaveLength(4);
  });

  it('is not held open by an idle keep-alive connection', async () => {
    const server = await start(baseEnv(path.join(dir, 'idle.db')));
    const agent = new http.Agent({ keepAlive: true });
    try {
      const res = await httpRequest(server.port, { path: '/healthz', agent });
      expect(res.status).toBe(200);
      expect(res.headers.connection).toBe('keep-alive');
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      expect(await exitWithin(server, 10_000)).toEqual({ code: 0, signal: null });
      // Node's keep-alive timeout is 5 s: waiting for it would take longer than this.
      expect(Date.now() - signalledAt).toBeLessThan(4_000);
    } finally {
      agent.destroy();
    }
  });

  it('shuts down cleanly on SIGINT as well', async () => {
    const server = await start(baseEnv(path.join(dir, 'sigint.db')));
    server.child.kill('SIGINT');
    expect(await exitWithin(server, 10_000)).toEqual({ code: 0, signal: null });
    const messages = logMessages(server.stdout());
    expect(messages).toContain('SIGINT: finishing in-flight requests');
    expect(messages).toContain('shut down cleanly');
  });
});
