import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { extractCsrfToken } from '../helpers/browser';
import { describeWithService } from '../helpers/services';
import { runNode, startServer, type RunningServer } from '../helpers/spawn';
import { FAST_ARGON2_ENV, TEST_PASSWORD } from '../helpers/test-app';

/**
 * Two app processes behind one (imaginary) load balancer, sharing Postgres,
 * Redis and JWT_SECRET: what runs in memory in one process must not decide
 * anything the other needs to know. Built server, real HTTP, real form flows.
 */
jest.setTimeout(60_000);

const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = 'redis://127.0.0.1:6379';
const describeWithPostgres = describeWithService('Postgres', '127.0.0.1', 5432);
const describeWithRedis = describeWithService('Redis', '127.0.0.1', 6379);

/** Unique per run: the e-mails and the client IP, so Redis keys never meet another run's. */
const RUN = randomUUID().slice(0, 8);
/** The client's address as the load balancer reports it (TRUST_PROXY=loopback). */
const CLIENT_IP = `198.18.${randomBytes(1)[0] ?? 0}.${randomBytes(1)[0] ?? 0}`;
const emailFor = (name: string) => `${name}-${RUN}@example.com`;

interface Page {
  status: number;
  location: string | null;
  setCookies: string[];
  text: string;
}

/**
 * One browser: a cookie jar shared by both instances, as behind one origin
 * (cookies ignore the port), and the same client IP whichever instance answers.
 */
class Browser {
  private readonly jar = new Map<string, string>();

  async request(base: string, route: string, fields?: Record<string, string>): Promise<Page> {
    const res = await fetch(base + route, {
      method: fields ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        'x-forwarded-for': CLIENT_IP,
        cookie: [...this.jar].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: fields ? new URLSearchParams(fields).toString() : undefined,
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const isCleared = value === '' || /expires=Thu, 01 Jan 1970/i.test(line);
      if (isCleared) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return {
      status: res.status,
      location: res.headers.get('location'),
      setCookies,
      text: await res.text(),
    };
  }

  /** The real form flow: GET the page for its CSRF token (and cookie), then POST it. */
  async submit(base: string, page: string, action: string, fields: Record<string, string>) {
    const form = await this.request(base, page);
    expect(form.status).toBe(200);
    return this.request(base, action, { _csrf: extractCsrfToken(form.text), ...fields });
  }

  logIn(base: string, email: string, password: string) {
    return this.submit(base, '/login', '/login', { email, password });
  }
}

describeWithPostgres('two instances on one Postgres', () => {
  describeWithRedis('and one Redis', () => {
    const schema = `gatehouse_scale_${RUN}`;
    const databaseUrl = new URL(POSTGRES_URL);
    databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
    let admin: Pool;
    let db: Pool;
    let redis: Redis;
    let one: RunningServer;
    let two: RunningServer;
    let mailDir: string;

    beforeAll(async () => {
      mailDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-scale-mail-'));
      admin = new Pool({ connectionString: POSTGRES_URL, max: 1 });
      await admin.query(`create schema ${schema}`);
      db = new Pool({ connectionString: databaseUrl.toString(), max: 1 });
      redis = new Redis(REDIS_URL);
      const env = {
        NODE_ENV: 'production',
        // Plain HTTP here: without this the cookies would be Secure, __Host- ones.
        COOKIE_SECURE: 'false',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: databaseUrl.toString(),
        REDIS_URL,
        JWT_SECRET: `shared-by-both-instances-${randomBytes(24).toString('hex')}`,
        TRUST_PROXY: 'loopback',
        // Sign-up writes before it answers, so the race below is decided in the answers.
        CONFIRMATION: 'off',
        RATE_LIMIT_LOGIN_EMAIL_IP: '3/15m',
        LOG_LEVEL: 'info',
        HASH_QUEUE_TIMEOUT_MS: '30000',
        ...FAST_ARGON2_ENV,
      };
      // One after the other: the first applies the migrations, as in a rolling deploy.
      one = await startServer(env);
      two = await startServer(env);
    });

    afterAll(async () => {
      await Promise.all([one?.kill(), two?.kill()]);
      // Only this run's counters: its e-mails and its client IP are in every key.
      for (const pattern of [`gatehouse:*${RUN}*`, `gatehouse:*${CLIENT_IP}*`]) {
        const keys = await redis.keys(pattern);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
      await db?.end();
      await admin?.query(`drop schema if exists ${schema} cascade`);
      await admin?.end();
      rmSync(mailDir, { recursive: true, force: true });
    });

    /** Adds a user the way an operator does: the admin CLI, password on stdin. */
    async function addUser(email: string): Promise<void> {
      // The CLI may send a welcome e-mail: in development, into a mailbox folder.
      const env = { DATABASE_URL: databaseUrl.toString(), MAIL_DIR: mailDir, ...FAST_ARGON2_ENV };
      const args = ['add', email, '--name', 'Ada Scale', '--password-stdin'];
      const result = await runNode('cli/user.js', args, env, 30_000, { stdin: TEST_PASSWORD });
      expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    }

    it('a session cookie from instance 1 works on instance 2; "log out everywhere" on 2 ends it on 1', async () => {
      const email = emailFor('ada');
      await addUser(email);
      const laptop = new Browser();
      const login = await laptop.logIn(one.url, email, TEST_PASSWORD);
      expect([login.status, login.location]).toEqual([303, '/private']);
      const onTwo = await laptop.request(two.url, '/private');
      expect(onTwo.status).toBe(200);
      expect(onTwo.text).toContain('Ada Scale');
      // Instance 1 has served this session too, so nothing it remembers may outlive the revocation.
      expect((await laptop.request(one.url, '/private')).status).toBe(200);

      const phone = new Browser();
      expect((await phone.logIn(two.url, email, TEST_PASSWORD)).status).toBe(303);
      const revoked = await phone.submit(two.url, '/account', '/account/sessions/revoke-all', {});
      expect([revoked.status, revoked.location]).toEqual([303, '/']);

      const after = await laptop.request(one.url, '/private');
      expect([after.status, after.location]).toEqual([303, '/login?next=%2Fprivate']);
      expect(after.setCookies.some((line) => /^session=;/.test(line))).toBe(true);
      const { rows } = await db.query(
        'select count(*)::int as n from sessions join users on users.id = sessions.user_id where users.email = $1',
        [email],
      );
      expect(rows).toEqual([{ n: 0 }]);
    });

    it('failed logins spread over both instances hit one shared limit', async () => {
      const email = emailFor('grace');
      await addUser(email);
      const browser = new Browser();
      // RATE_LIMIT_LOGIN_EMAIL_IP is 3/15m: neither instance alone has seen three failures.
      for (const base of [one.url, two.url, one.url]) {
        expect((await browser.logIn(base, email, 'not the right password')).status).toBe(401);
      }
      for (const base of [two.url, one.url]) {
        const blocked = await browser.logIn(base, email, TEST_PASSWORD);
        expect(blocked.status).toBe(429);
        expect(blocked.setCookies.some((line) => line.startsWith('session='))).toBe(false);
      }
    });

    it('a sign-up race for one e-mail across both instances creates exactly one user', async () => {
      const email = emailFor('race');
      const fields = {
        email,
        full_name: 'Race Winner',
        password: TEST_PASSWORD,
        password_confirmation: TEST_PASSWORD,
      };
      // Every browser has its form (and CSRF token) first, then all submit at once.
      const bases = [one.url, two.url, one.url, two.url, one.url, two.url];
      const browsers = bases.map(() => new Browser());
      const tokens = await Promise.all(
        browsers.map(async (browser, i) => {
          const form = await browser.request(bases[i] ?? '', '/signup');
          return extractCsrfToken(form.text);
        }),
      );
      const results = await Promise.all(
        browsers.map((browser, i) =>
          browser.request(bases[i] ?? '', '/signup', { _csrf: tokens[i] ?? '', ...fields }),
        ),
      );
      const statuses = results.map((res) => res.status).sort((a, b) => a - b);
      expect(statuses).toEqual([303, 409, 409, 409, 409, 409]);
      // The one that won is logged in as the new user.
      const winner = results.find((res) => res.status === 303);
      expect(winner?.location).toBe('/private');
      expect(winner?.setCookies.some((line) => line.startsWith('session='))).toBe(true);
      const { rows } = await db.query('select full_name from users where email = $1', [email]);
      expect(rows).toEqual([{ full_name: 'Race Winner' }]);
    });
  });
});
