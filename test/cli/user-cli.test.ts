import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { DatabaseHandle, Db } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import { logIn, newBrowser } from '../helpers/browser';
import { runNode, type RunResult } from '../helpers/spawn';
import { FAST_ARGON2_ENV, TEST_PASSWORD, TEST_SECRET } from '../helpers/test-app';

/** The compiled CLI: `npm test` builds first; `npm run build` before running this file alone. */
const CLI = path.resolve(__dirname, '../../dist/src/cli/user.js');
const NEW_PASSWORD = 'another perfectly fine passphrase';
const CHILD_TIMEOUT_MS = 15_000;

type CliResult = RunResult;

/**
 * Runs `node dist/src/cli/user.js <args>` on the given database file, with
 * `stdin` piped in (and then closed, so standard input is never a terminal;
 * with keepStdinOpen it stays open, like a terminal nobody types into).
 */
function runCli(
  dbFile: string,
  args: string[],
  stdin = '',
  options: { keepStdinOpen?: boolean } = {},
): Promise<CliResult> {
  const env = { NODE_ENV: 'test', DATABASE_URL: `sqlite:${dbFile}`, ...FAST_ARGON2_ENV };
  return runNode('cli/user.js', args, env, CHILD_TIMEOUT_MS, { stdin, ...options });
}

/** The non-empty lines a result printed, on both streams. */
function outputLines(result: CliResult): string[] {
  return `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
}

/** Exactly one line of output, on the stream the exit code implies, and no password in it. */
function expectOneLine(result: CliResult, stream: 'stdout' | 'stderr'): string {
  const lines = outputLines(result);
  expect(lines).toHaveLength(1);
  expect(result[stream].trimEnd()).toBe(lines[0]);
  return lines[0] ?? '';
}

function expectNoPassword(result: CliResult, ...passwords: string[]): void {
  for (const password of passwords) {
    expect(result.stdout).not.toContain(password);
    expect(result.stderr).not.toContain(password);
  }
}

/** The real app opened on the CLI's database file, as the server would open it. */
interface OpenedApp {
  app: Express;
  db: Db;
  database: DatabaseHandle;
}

async function openApp(dbFile: string): Promise<OpenedApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: `sqlite:${dbFile}`,
    JWT_SECRET: TEST_SECRET,
    ...FAST_ARGON2_ENV,
  });
  const database = openDatabase(config.database);
  await migrateToLatest(database);
  return { app: createApp({ config, database }), db: database.db, database };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});

describe('the user admin CLI', () => {
  let dir: string;
  let dbFile: string;
  let opened: OpenedApp | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-cli-'));
    dbFile = path.join(dir, 'cli.db');
    opened = undefined;
  });
  afterEach(async () => {
    await opened?.database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], stdin?: string, options?: { keepStdinOpen?: boolean }) =>
    runCli(dbFile, args, stdin, options);

  async function app(): Promise<OpenedApp> {
    opened ??= await openApp(dbFile);
    return opened;
  }

  async function logInStatus(email: string, password: string): Promise<number> {
    const res = await logIn(newBrowser((await app()).app), email, password);
    return res.status;
  }

  async function addAda(): Promise<void> {
    const result = await cli(
      ['add', 'ada@example.com', '--name', 'Ada Lovelace', '--password-stdin'],
      `${TEST_PASSWORD}\n`,
    );
    expect(result.code).toBe(0);
  }

  async function sessionCount(email: string): Promise<number> {
    const rows = await (
      await app()
    ).db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select('sessions.id')
      .where('users.email', '=', email)
      .execute();
    return rows.length;
  }

  describe('add', () => {
    it('creates a user who can then log in, and says so in one line without the password', async () => {
      const result = await cli(
        ['add', 'Ada@Example.com', '--name', 'Ada Lovelace', '--password-stdin'],
        `${TEST_PASSWORD}\n`,
      );
      expect(result.code).toBe(0);
      expect(expectOneLine(result, 'stdout')).toBe(
        'Added user ada@example.com (id 1, name "Ada Lovelace").',
      );
      expectNoPassword(result, TEST_PASSWORD);

      const browser = newBrowser((await app()).app);
      expect((await logIn(browser, 'ada@example.com', TEST_PASSWORD)).status).toBe(303);
      const page = await browser.get('/private').expect(200);
      expect(page.text).toContain('Ada Lovelace');
    });

    it('takes the whole of standard input as the password, without the final line break', async () => {
      const password = '  spaces at both ends count  ';
      const result = await cli(['add', 'ada@example.com', '--password-stdin'], `${password}\r\n`);
      expect(result.code).toBe(0);
      // Without --name, the user is named after the e-mail's local part.
      expect(result.stdout).toContain('name "ada"');
      expectNoPassword(result, password.trim());
      expect(await logInStatus('ada@example.com', password)).toBe(303);
      expect(await logInStatus('ada@example.com', password.trim())).toBe(401);
    });

    it('refuses a password the policy rejects with exit 1 and one line naming the rule', async () => {
      const result = await cli(['add', 'ada@example.com', '--password-stdin'], 'short1\n');
      expect(result.code).toBe(1);
      expect(expectOneLine(result, 'stderr')).toMatch(/^Error: Use at least 12 characters/);
      expectNoPassword(result, 'short1');
      const common = await cli(['add', 'ada@example.com', '--password-stdin'], 'password1234\n');
      expect(common.code).toBe(1);
      expect(expectOneLine(common, 'stderr')).toContain('most commonly used');
      expectNoPassword(common, 'password1234');
      expect(await (await app()).db.selectFrom('users').selectAll().execute()).toHaveLength(0);
    });

    it('refuses an e-mail that already has an account with exit 1 and one line', async () => {
      await addAda();
      const result = await cli(['add', 'ADA@example.com', '--password-stdin'], `${NEW_PASSWORD}\n`);
      expect(result.code).toBe(1);
      expect(expectOneLine(result, 'stderr')).toBe(
        'Error: An account with this e-mail address already exists.',
      );
      expectNoPassword(result, NEW_PASSWORD);
      // The first account keeps its password.
      expect(await logInStatus('ada@example.com', TEST_PASSWORD)).toBe(303);
    });

    it('asks for --password-stdin when standard input is not a terminal', async () => {
      const result = await cli(['add', 'ada@example.com'], `${TEST_PASSWORD}\n`);
      expect(result.code).toBe(1);
      expect(expectOneLine(result, 'stderr')).toContain('--password-stdin');
      expectNoPassword(result, TEST_PASSWORD);
      expect(await (await app()).db.selectFrom('users').selectAll().execute()).toHaveLength(0);
    });

    it.each([
      [
        'a line break',
        'Ada\r\nBcc: x@evil.example',
        'Put your name on one line, without line breaks.',
      ],
      ['a tab', 'Ada\tLovelace', 'Remove the control characters (such as tabs) from your name.'],
      ['a right-to-left override', 'Ada \u202eecalevoL', 'Remove the invisible text-direction'],
      ['101 characters', 'A'.repeat(101), 'Use at most 100 characters for your name.'],
    ])(
      'refuses a --name with %s with exit 1 and one line saying why, before asking for a password',
      async (_label, name, message) => {
        // No --password-stdin: had the name passed, the CLI would ask for the password instead.
        const result = await cli(['add', 'ada@example.com', '--name', name], `${TEST_PASSWORD}\n`);
        expect(result.code).toBe(1);
        const line = expectOneLine(result, 'stderr');
        expect(line).toMatch(/^Error: the full name cannot be used: /);
        expect(line).toContain(message);
        expect(line).not.toContain('Ada');
        expect(await (await app()).db.selectFrom('users').selectAll().execute()).toHaveLength(0);
      },
    );

    it('refuses something that is not an e-mail address with exit 1', async () => {
      const result = await cli(['add', 'not-an-address', '--password-stdin'], TEST_PASSWORD);
      expect(result.code).toBe(1);
      expect(expectOneLine(result, 'stderr')).toBe(
        'Error: "not-an-address" is not an e-mail address',
      );
    });
  });

  describe('disable and enable', () => {
    it('disable ends every session of the user and refuses later logins', async () => {
      await addAda();
      const browser = newBrowser((await app()).app);
      expect((await logIn(browser, 'ada@example.com', TEST_PASSWORD)).status).toBe(303);
      expect(await sessionCount('ada@example.com')).toBe(1);

      const result = await cli(['disable', 'ada@example.com']);
      expect(result.code).toBe(0);
      expect(expectOneLine(result, 'stdout')).toBe('Disabled ada@example.com; ended 1 session(s).');
      expect(await sessionCount('ada@example.com')).toBe(0);

      const refused = await browser.get('/private');
      expect(refused.status).toBe(303);
      expect(refused.headers.location).toBe('/login?next=%2Fprivate');
      const login = await logIn(newBrowser((await app()).app), 'ada@example.com', TEST_PASSWORD);
      expect(login.status).toBe(403);
      expect(login.text).toContain('This account is disabled');
    });

    it('disable also ends API tokens', async () => {
      await addAda();
      const { app: express } = await app();
      const issued = await request(express)
        .post('/token')
        .type('form')
        .send({ username: 'ada@example.com', password: TEST_PASSWORD })
        .expect(200);
      const bearer = `Bearer ${String(issued.body.access_token)}`;
      await request(express).get('/users/me').set('Authorization', bearer).expect(200);
      expect((await cli(['disable', 'ada@example.com'])).code).toBe(0);
      await request(express).get('/users/me').set('Authorization', bearer).expect(401);
    });

    it('enable lets a disabled user log in again', async () => {
      await addAda();
      expect((await cli(['disable', 'ada@example.com'])).code).toBe(0);
      expect(await logInStatus('ada@example.com', TEST_PASSWORD)).toBe(403);

      const result = await cli(['enable', 'ada@example.com']);
      expect(result.code).toBe(0);
      expect(expectOneLine(result, 'stdout')).toBe('Enabled ada@example.com.');
      expect(await logInStatus('ada@example.com', TEST_PASSWORD)).toBe(303);
    });
  });

  describe('set-password', () => {
    it('replaces the password and ends every session', async () => {
      await addAda();
      const browser = newBrowser((await app()).app);
      expect((await logIn(browser, 'ada@example.com', TEST_PASSWORD)).status).toBe(303);

      const result = await cli(
        ['set-password', 'ada@example.com', '--password-stdin'],
        `${NEW_PASSWORD}\n`,
      );
      expect(result.code).toBe(0);
      expect(expectOneLine(result, 'stdout')).toBe(
        'Set a new password for ada@example.com; ended 1 session(s).',
      );
      expectNoPassword(result, NEW_PASSWORD, TEST_PASSWORD);
      expect(await sessionCount('ada@example.com')).toBe(0);
      expect((await browser.get('/private')).status).toBe(303);

      expect(await logInStatus('ada@example.com', TEST_PASSWORD)).toBe(401);
      expect(await logInStatus('ada@example.com', NEW_PASSWORD)).toBe(303);
    });

    it('looks the e-mail up before reading the password: an unknown one fails without waiting for it', async () => {
      // Standard input stays open: a CLI that read the password first would wait here.
      const piped = await cli(
        ['set-password', 'nobody@example.com', '--password-stdin'],
        `${NEW_PASSWORD}\n`,
        { keepStdinOpen: true },
      );
      // And without --password-stdin, the lookup fails before asking for a terminal.
      const prompted = await cli(['set-password', 'nobody@example.com'], `${NEW_PASSWORD}\n`);
      for (const result of [piped, prompted]) {
        expect(result.code).toBe(1);
        expect(expectOneLine(result, 'stderr')).toBe(
          'Error: No user with the e-mail address nobody@example.com',
        );
        expectNoPassword(result, NEW_PASSWORD);
      }
    });

    it('refuses a password the policy rejects and keeps the old one', async () => {
      await addAda();
      const result = await cli(
        ['set-password', 'ada@example.com', '--password-stdin'],
        'ada@example.com is me\n',
      );
      expect(result.code).toBe(1);
      expect(expectOneLine(result, 'stderr')).toBe(
        'Error: Do not include your e-mail address in your password.',
      );
      expect(await logInStatus('ada@example.com', TEST_PASSWORD)).toBe(303);
    });
  });

  describe('revoke', () => {
    it('ends every session of the user, cookies and API tokens alike', async () => {
      await addAda();
      const { app: express, db } = await app();
      expect((await logIn(newBrowser(express), 'ada@example.com', TEST_PASSWORD)).status).toBe(303);
      await request(express)
        .post('/token')
        .type('form')
        .send({ username: 'ada@example.com', password: TEST_PASSWORD })
        .expect(200);
      expect(await sessionCount('ada@example.com')).toBe(2);

      const result = await cli(['revoke', 'ada@example.com']);
      expect(result.code).toBe(0);
      expect(expectOneLine(result, 'stdout')).toBe('Ended 2 session(s) of ada@example.com.');
      expect(await db.selectFrom('sessions').selectAll().execute()).toHaveLength(0);
      // Revoking is not disabling: the user can log in again.
      expect(await logInStatus('ada@example.com', TEST_PASSWORD)).toBe(303);
    });

    it('leaves other users\u2019 sessions alone', async () => {
      await addAda();
      expect((await cli(['add', 'grace@example.com', '--password-stdin'], NEW_PASSWORD)).code).toBe(
        0,
      );
      expect(await logInStatus('grace@example.com', NEW_PASSWORD)).toBe(303);
      expect((await cli(['revoke', 'ada@example.com'])).stdout).toContain('Ended 0 session(s)');
      expect(await sessionCount('grace@example.com')).toBe(1);
    });
  });

  describe('reset-2fa', () => {
    it('turns two-step off, ends every session and the list shows it off', async () => {
      await addAda();
      const { app: express, db } = await app();
      expect(await logInStatus('ada@example.com', TEST_PASSWORD)).toBe(303);
      const ada = await db
        .selectFrom('users')
        .select('id')
        .where('email', '=', 'ada@example.com')
        .executeTakeFirstOrThrow();
      // Two-step on, as the setup leaves it (the sealed value is not read by the reset).
      await db
        .insertInto('two_step_credentials')
        .values({
          user_id: ada.id,
          secret_sealed: 'v1.x',
          created_at: '2026-01-01T00:00:00.000Z',
          enabled_at: '2026-01-01T00:00:00.000Z',
        })
        .execute();
      expect((await cli(['list'])).stdout).toMatch(/ada@example\.com .* on /);

      const result = await cli(['reset-2fa', 'ada@example.com']);
      expect(result.code).toBe(0);
      expect(expectOneLine(result, 'stdout')).toBe(
        'Turned two-step sign-in off for ada@example.com; ended 1 session(s).',
      );
      expect(await db.selectFrom('sessions').selectAll().execute()).toHaveLength(0);
      expect(await db.selectFrom('two_step_credentials').selectAll().execute()).toHaveLength(0);
      expect((await cli(['list'])).stdout).toMatch(/ada@example\.com .* off /);
      expect(
        (await logIn(newBrowser(express), 'ada@example.com', TEST_PASSWORD)).headers.location,
      ).toBe('/private');
    });
  });

  describe('list', () => {
    it('prints a table of every user with id, e-mail, name, active, confirmed and last login', async () => {
      await addAda();
      expect(
        (
          await cli(
            ['add', 'grace@example.com', '--name', 'Grace Hopper', '--password-stdin'],
            NEW_PASSWORD,
          )
        ).code,
      ).toBe(0);
      expect((await cli(['disable', 'grace@example.com'])).code).toBe(0);
      expect(await logInStatus('ada@example.com', TEST_PASSWORD)).toBe(303);

      const result = await cli(['list']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      const [header = '', ada = '', grace = '', ...rest] = result.stdout.trimEnd().split('\n');
      expect(rest).toEqual([]);
      expect(header).toMatch(
        /^id {2,}email {2,}name {2,}active {2,}confirmed {2,}two-step {2,}last login$/,
      );
      expect(ada).toMatch(
        /^1 {2,}ada@example\.com {2,}Ada Lovelace {2,}yes {2,}yes {2,}off {2,}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
      );
      expect(grace).toMatch(
        /^2 {2,}grace@example\.com {2,}Grace Hopper {2,}no {2,}yes {2,}off {2,}never$/,
      );
      // Columns line up under their headings.
      for (const [heading, cell] of [
        ['email', 'ada@example.com'],
        ['name', 'Ada Lovelace'],
        ['active', 'yes'],
        ['two-step', 'off'],
      ] as const) {
        expect(ada.indexOf(cell)).toBe(header.indexOf(heading));
      }
      // The admin vouches for the addresses of the accounts it creates.
      expect(ada.lastIndexOf('yes')).toBe(header.indexOf('confirmed'));
      expect(grace.indexOf('yes')).toBe(header.indexOf('confirmed'));
      expect(grace.indexOf('never')).toBe(header.indexOf('last login'));
      expectNoPassword(result, TEST_PASSWORD, NEW_PASSWORD);
      expect(result.stdout).not.toContain('$argon2');
    });

    it('shows an account that signed up and never confirmed its address as not confirmed', async () => {
      await addAda();
      await (
        await app()
      ).db
        .updateTable('users')
        .set({ email_confirmed_at: null })
        .where('email', '=', 'ada@example.com')
        .execute();
      const result = await cli(['list']);
      const [header = '', ada = ''] = result.stdout.trimEnd().split('\n');
      expect(ada).toMatch(
        /^1 {2,}ada@example\.com {2,}Ada Lovelace {2,}yes {2,}no {2,}off {2,}never$/,
      );
      expect(ada.lastIndexOf('no ')).toBe(header.indexOf('confirmed'));
    });

    it('says so when there are no users yet', async () => {
      const result = await cli(['list']);
      expect(result.code).toBe(0);
      expect(expectOneLine(result, 'stdout')).toBe('No users yet.');
    });
  });

  describe('mistakes', () => {
    it.each([
      ['disable', []],
      ['enable', []],
      ['revoke', []],
      ['reset-2fa', []],
      ['set-password', ['--password-stdin']],
    ])('%s of an unknown e-mail exits 1 with one line', async (command, extra) => {
      const result = await cli([command, 'nobody@example.com', ...extra], `${NEW_PASSWORD}\n`);
      expect(result.code).toBe(1);
      expect(expectOneLine(result, 'stderr')).toBe(
        'Error: No user with the e-mail address nobody@example.com',
      );
      expectNoPassword(result, NEW_PASSWORD);
    });

    it('refuses an unknown command with exit 1 and one line listing the commands', async () => {
      const result = await cli(['delete', 'ada@example.com']);
      expect(result.code).toBe(1);
      const line = expectOneLine(result, 'stderr');
      expect(line).toContain('unknown command "delete"');
      expect(line).toContain('add, disable, enable, set-password, revoke, reset-2fa, list');
    });

    it('refuses an unknown option with exit 1 and one line', async () => {
      const result = await cli(['add', 'ada@example.com', '--nmae', 'Ada', '--password-stdin']);
      expect(result.code).toBe(1);
      expect(expectOneLine(result, 'stderr')).toMatch(/^Error: Unknown option '--nmae'/);
    });

    it('refuses a missing or extra argument with exit 1 and the command’s usage', async () => {
      const results = await Promise.all(
        [['disable'], ['revoke', 'ada@example.com', 'grace@example.com'], ['list', 'x']].map(
          (args) => cli(args),
        ),
      );
      for (const result of results) {
        expect(result.code).toBe(1);
        expect(expectOneLine(result, 'stderr')).toMatch(
          /^Error: wrong arguments; usage: npm run user -- /,
        );
      }
    });

    it('prints the usage with exit 0 when no command is given', async () => {
      const result = await cli([]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: npm run user -- <command>');
    });
  });

  describe('--help', () => {
    it.each(['add', 'disable', 'enable', 'set-password', 'revoke', 'reset-2fa', 'list'])(
      '%s --help exits 0 with text naming the command',
      async (command) => {
        const result = await cli([command, '--help']);
        expect(result.code).toBe(0);
        expect(result.stderr).toBe('');
        expect(result.stdout).toContain(`npm run user -- ${command}`);
        // Help touches no database.
        expect(existsSync(dbFile)).toBe(false);
      },
    );
  });
});
