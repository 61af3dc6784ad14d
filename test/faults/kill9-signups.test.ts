import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { extractCsrfToken } from '../helpers/browser';
import { httpRequest, startServer, type HttpResponse, type RunningServer } from '../helpers/spawn';
import { FAULT_TEST_ENV, SIGNUP_PASSWORD } from './support';

jest.setTimeout(90_000);

/** Sign-ups sent at once. */
const BURST = 120;
/** The server is killed as soon as this many have been acknowledged. */
const KILL_AFTER = 25;

/** A filled-in sign-up form, ready to post: its CSRF cookie and body. */
async function prepareSignup(port: number, email: string) {
  const page = await httpRequest(port, { method: 'GET', path: '/signup' });
  const cookie = (page.headers['set-cookie'] ?? []).find((line) => line.startsWith('csrf='));
  if (page.status !== 200 || !cookie) throw new Error(`GET /signup answered ${page.status}`);
  const body = new URLSearchParams({
    _csrf: extractCsrfToken(page.body),
    email,
    full_name: `Burst ${email}`,
    password: SIGNUP_PASSWORD,
    password_confirmation: SIGNUP_PASSWORD,
  }).toString();
  return { email, cookie: cookie.split(';')[0] ?? '', body };
}

describe('kill -9 during a burst of sign-ups (SQLite)', () => {
  let dir: string;
  let servers: RunningServer[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-kill9-'));
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    servers = [];
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged sign-up, whole, and leaves a database that passes integrity_check', async () => {
    const dbFile = path.join(dir, 'gatehouse.db');
    const env = {
      ...FAULT_TEST_ENV,
      NODE_ENV: 'production',
      COOKIE_SECURE: 'false',
      DATABASE_URL: `sqlite:${dbFile}`,
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: 'a-forty-character-secret-0123456789abcde',
      LOG_LEVEL: 'info',
    };
    const first = await startServer(env);
    servers.push(first);

    // One form first, alone: in production the first renders of a page race
    // to compile its templates (src/http/views.ts), which is not this test's subject.
    await prepareSignup(first.port, 'warm-up@example.com');
    const forms = await Promise.all(
      Array.from({ length: BURST }, (_, index) =>
        prepareSignup(first.port, `burst${index}@example.com`),
      ),
    );

    // Fire them all; the moment the KILL_AFTER-th 303 arrives, SIGKILL — no
    // shutdown handler runs, writes in flight are cut wherever they are.
    const acknowledged: string[] = [];
    const outcomes = await Promise.all(
      forms.map(async (form) => {
        try {
          const res = await httpRequest(
            first.port,
            {
              method: 'POST',
              path: '/signup',
              headers: {
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(form.body),
                cookie: form.cookie,
              },
            },
            form.body,
          );
          if (res.status === 303 && res.headers.location === '/private') {
            acknowledged.push(form.email);
            if (acknowledged.length === KILL_AFTER) first.child.kill('SIGKILL');
          }
          return res.status;
        } catch {
          return 'connection lost';
        }
      }),
    );
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The kill landed mid-burst: some sign-ups were acknowledged, some never answered.
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(outcomes.filter((outcome) => outcome === 'connection lost').length).toBeGreaterThan(0);
    // Nothing but success or a lost connection: no 500 from a half-dead database.
    expect(outcomes.filter((outcome) => outcome !== 303 && outcome !== 'connection lost')).toEqual(
      [],
    );

    // Restarted on the same file, the server comes up and answers.
    const second = await startServer(env);
    servers.push(second);
    expect((await httpRequest(second.port, { method: 'GET', path: '/readyz' })).status).toBe(200);

    const sqlite = new SqliteDatabase(dbFile, { readonly: true, fileMustExist: true });
    try {
      expect(sqlite.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      const stored = new Set(
        sqlite
          .prepare('select email from users')
          .all()
          .map((row) => (row as { email: string }).email),
      );
      expect(acknowledged.filter((email) => !stored.has(email))).toEqual([]);
      // Whole, acknowledged or not: no user without the session and the
      // sign-up event written with it.
      const incomplete = sqlite
        .prepare(
          `select u.email from users u
           where not exists (select 1 from sessions s where s.user_id = u.id)
              or not exists (select 1 from auth_events e
                             where e.user_id = u.id and e.type = 'signed_up')`,
        )
        .all();
      expect(incomplete).toEqual([]);
    } finally {
      sqlite.close();
    }

    // And the restarted server knows them: an acknowledged account logs in.
    const login = await logInThroughForm(second.port, acknowledged[0] ?? '');
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/private');
  });
});

/** Logs in through the real form on a running server. */
async function logInThroughForm(port: number, email: string): Promise<HttpResponse> {
  const page = await httpRequest(port, { method: 'GET', path: '/login' });
  const cookie = (page.headers['set-cookie'] ?? []).find((line) => line.startsWith('csrf='));
  const body = new URLSearchParams({
    _csrf: extractCsrfToken(page.body),
    email,
    password: SIGNUP_PASSWORD,
  }).toString();
  return httpRequest(
    port,
    {
      method: 'POST',
      path: '/login',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': Buffer.byteLength(body),
        cookie: cookie?.split(';')[0] ?? '',
      },
    },
    body,
  );
}
