import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runNode, startServer, type RunningServer } from '../helpers/spawn';

const PASSWORD = 'a password that must never be logged';
const EMAIL = 'ada@example.com';

/** One page fetch that keeps the cookies it is given and returns the ones it gets. */
async function fetchWithCookies(url: string, init: RequestInit & { cookies?: string[] } = {}) {
  const res = await fetch(url, {
    ...init,
    redirect: 'manual',
    headers: {
      ...(init.headers as Record<string, string>),
      cookie: (init.cookies ?? []).join('; '),
    },
  });
  const cookies = res.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');
  return { res, text: await res.text(), cookies };
}

describe('the server logs', () => {
  let dir: string;
  let server: RunningServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-logs-'));
    const env = {
      NODE_ENV: 'production',
      COOKIE_SECURE: 'false',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'trace',
      JWT_SECRET: 'logs-test-secret-0123456789abcdef0123456789',
      DATABASE_URL: `sqlite:${path.join(dir, 'logs.db')}`,
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME: '1',
    };
    const usersFile = path.join(dir, 'users.json');
    writeFileSync(
      usersFile,
      JSON.stringify([{ email: EMAIL, password: PASSWORD, full_name: 'Ada' }]),
    );
    const seeded = await runNode('cli/seed.js', [usersFile], env);
    if (seeded.code !== 0) throw new Error(seeded.stderr);
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never contain a password, a token, a cookie or a CSRF token, but do name the user', async () => {
    const base = server.url;
    const page = await fetchWithCookies(`${base}/login`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const body = new URLSearchParams({ _csrf: csrf, email: EMAIL, password: PASSWORD });
    const wrong = new URLSearchParams({ _csrf: csrf, email: EMAIL, password: `${PASSWORD}!` });
    await fetchWithCookies(`${base}/login`, { method: 'POST', body: wrong, cookies: page.cookies });
    const login = await fetchWithCookies(`${base}/login`, {
      method: 'POST',
      body,
      cookies: page.cookies,
    });
    expect(login.res.status).toBe(303);
    const session = login.cookies.find((cookie) => cookie.startsWith('session='));
    expect(session).toBeDefined();
    await fetchWithCookies(`${base}/private`, { cookies: [session ?? ''] });
    const token = await fetchWithCookies(`${base}/token`, {
      method: 'POST',
      body: new URLSearchParams({ username: EMAIL, password: PASSWORD }),
    });
    const accessToken = (JSON.parse(token.text) as { access_token: string }).access_token;
    await fetchWithCookies(`${base}/users/me`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    await fetchWithCookies(`${base}/logout`, { cookies: [session ?? ''] });

    // Give the asynchronous log writes a moment to reach the pipe.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const output = server.stdout() + server.stderr();
    expect(output).toContain('"url":"/private"');
    expect(output).toMatch(/"userId":1\b/);
    for (const secret of [
      PASSWORD,
      encodeURIComponent(PASSWORD),
      accessToken,
      (session ?? '').slice('session='.length),
      csrf,
      ...page.cookies.map((cookie) => cookie.split('=')[1] ?? ''),
    ]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(output).not.toContain(secret);
    }
  });
});
