import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config';
import { projectRoot } from '../../src/paths';
import { newBrowser } from '../helpers/browser';
import { logMessages, runNode, startServer, type RunningServer } from '../helpers/spawn';
import { createTestApp, FAST_ARGON2_ENV, type TestApp } from '../helpers/test-app';
import { problemsOf } from '../helpers/config-problems';

const SECRET = 'a-forty-character-secret-0123456789abcde';
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: SECRET };
const PRODUCTION_MAIL = {
  ...PRODUCTION,
  SMTP_URL: 'smtp://mailer:secret@mail.example.com:587',
  MAIL_FROM: 'no-reply@example.com',
  PUBLIC_URL: 'https://login.example.com',
};

/** The problems that name `variable` (each problem starts with the variable's name). */
function problemsNaming(env: NodeJS.ProcessEnv, variable: string): string[] {
  return problemsOf(env).filter((problem) => problem.startsWith(`${variable} `));
}

const mailOf = (env: NodeJS.ProcessEnv): Config['mail'] => loadConfig(env).mail;

describe('SMTP_URL', () => {
  it.each([
    'smtp://mail.example.com',
    'smtp://mailer:secret@mail.example.com:587',
    'smtps://mailer:p%40ss%2Fword@mail.example.com:465',
    'smtp://127.0.0.1:2525',
  ])('accepts %s and sends through it', (url) => {
    expect(mailOf({ SMTP_URL: url }).transport).toEqual({ kind: 'smtp', url });
  });

  it('is trimmed, and blank means unset', () => {
    expect(mailOf({ SMTP_URL: '  smtp://mail.example.com:25  ' }).transport).toEqual({
      kind: 'smtp',
      url: 'smtp://mail.example.com:25',
    });
    expect(mailOf({ SMTP_URL: '   ', MAIL_DIR: '/tmp/gh-mail' }).transport).toEqual({
      kind: 'directory',
      dir: '/tmp/gh-mail',
    });
  });

  it.each([
    'mail.example.com:587',
    'http://mail.example.com',
    'smtp:/mail.example.com',
    'smtp://mail example.com',
    'smtp://[not-an-address',
    'smtp://mailer:p@ss word@mail.example.com',
  ])('refuses %s, naming SMTP_URL once', (url) => {
    const problems = problemsNaming({ SMTP_URL: url }, 'SMTP_URL');
    expect(problems).toHaveLength(1);
  });

  it('says how to write a password with special characters when the URL does not parse', () => {
    const [problem] = problemsNaming({ SMTP_URL: 'smtp://[not-an-address' }, 'SMTP_URL');
    expect(problem).toContain('percent-encode');
  });

  it('never echoes the SMTP password in a problem', () => {
    const problems = problemsOf({ SMTP_URL: 'smtp://mailer:hunter2-secret@[bad' });
    expect(problems.join('\n')).not.toContain('hunter2-secret');
  });
});

describe('MAIL_FROM', () => {
  it('defaults to the development sender outside production', () => {
    expect(mailOf({}).from).toBe('Gatehouse <no-reply@localhost>');
  });

  it.each([
    'no-reply@example.com',
    'Gatehouse <no-reply@example.com>',
    '"Gatehouse, the login" <no-reply@example.com>',
    'Gatehouse Accounts <accounts+noreply@mail.example.com>',
  ])('accepts %s as it is', (from) => {
    expect(mailOf({ MAIL_FROM: from }).from).toBe(from);
    expect(mailOf({ ...PRODUCTION_MAIL, MAIL_FROM: from }).from).toBe(from);
  });

  it('is trimmed', () => {
    expect(mailOf({ MAIL_FROM: '  no-reply@example.com\t' }).from).toBe('no-reply@example.com');
  });

  it.each([
    'Gatehouse',
    'no-reply',
    '@example.com',
    'no-reply@',
    'Gatehouse <no-reply>',
    'Gatehouse <no-reply@example.com',
    'Gatehouse no-reply@example.com',
    'a@b@example.com',
    'no-reply@example.com\nBcc: victim@example.com',
  ])('refuses %j, naming MAIL_FROM', (from) => {
    const problems = problemsNaming({ MAIL_FROM: from }, 'MAIL_FROM');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('no-reply@example.com');
  });
});

describe('PUBLIC_URL', () => {
  it.each([
    ['https://login.example.com', 'https://login.example.com'],
    ['https://login.example.com/', 'https://login.example.com'],
    ['https://example.com/gatehouse', 'https://example.com/gatehouse'],
    ['https://example.com/gatehouse/', 'https://example.com/gatehouse'],
    ['https://example.com/gatehouse///', 'https://example.com/gatehouse'],
    ['http://localhost:8080', 'http://localhost:8080'],
    ['HTTPS://Login.Example.COM:443/', 'https://login.example.com'],
    ['  https://login.example.com  ', 'https://login.example.com'],
  ])('reads %j as %j (no trailing slash)', (given, expected) => {
    expect(mailOf({ PUBLIC_URL: given }).publicUrl).toBe(expected);
  });

  it.each([
    'https://login.example.com/?next=x',
    'https://login.example.com?',
    'https://login.example.com/#top',
    'https://login.example.com#',
    'https://user:pass@login.example.com',
    'https://user@login.example.com',
    'ftp://login.example.com',
    'javascript:alert(1)',
    'login.example.com',
    'not a url',
  ])('refuses %j, naming PUBLIC_URL', (given) => {
    const problems = problemsNaming({ PUBLIC_URL: given }, 'PUBLIC_URL');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('https://login.example.com');
  });

  it('never echoes credentials given in PUBLIC_URL', () => {
    const problems = problemsOf({ PUBLIC_URL: 'https://admin:hunter2-secret@example.com' });
    expect(problems.join('\n')).not.toContain('hunter2-secret');
  });

  it('defaults to http://localhost:<PORT> outside production', () => {
    expect(mailOf({}).publicUrl).toBe('http://localhost:3000');
    expect(mailOf({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(mailOf({ NODE_ENV: 'test', PORT: ' 4000 ' }).publicUrl).toBe('http://localhost:4000');
    // Even with SMTP (a developer's Mailpit, say), the default is enough.
    expect(mailOf({ SMTP_URL: 'smtp://127.0.0.1:1025', PORT: '5000' }).publicUrl).toBe(
      'http://localhost:5000',
    );
  });
});

describe('mail in production', () => {
  it('is sent over SMTP when SMTP_URL, MAIL_FROM and PUBLIC_URL are set', () => {
    expect(mailOf(PRODUCTION_MAIL)).toEqual({
      transport: { kind: 'smtp', url: PRODUCTION_MAIL.SMTP_URL },
      from: 'no-reply@example.com',
      publicUrl: 'https://login.example.com',
    });
  });

  it('refuses SMTP_URL without PUBLIC_URL or MAIL_FROM, naming each', () => {
    const problems = problemsOf({ ...PRODUCTION, SMTP_URL: PRODUCTION_MAIL.SMTP_URL });
    expect(problems).toHaveLength(2);
    expect(problems.filter((problem) => problem.startsWith('PUBLIC_URL '))).toHaveLength(1);
    expect(problems.filter((problem) => problem.startsWith('MAIL_FROM '))).toHaveLength(1);
    expect(problems.join('\n')).toContain('SMTP_URL is set');

    const noPublicUrl = { ...PRODUCTION_MAIL, PUBLIC_URL: undefined };
    expect(problemsOf(noPublicUrl)).toEqual([expect.stringMatching(/^PUBLIC_URL must be set/)]);
    const noFrom = { ...PRODUCTION_MAIL, MAIL_FROM: '  ' };
    expect(problemsOf(noFrom)).toEqual([expect.stringMatching(/^MAIL_FROM must be set/)]);
  });

  it('reports mail problems together with every other problem', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      SMTP_URL: 'smtp://mail.example.com',
      RESET_TOKEN_MINUTES: '2',
    });
    for (const variable of ['JWT_SECRET', 'PUBLIC_URL', 'MAIL_FROM', 'RESET_TOKEN_MINUTES']) {
      expect(problems.some((problem) => problem.startsWith(`${variable} `))).toBe(true);
    }
  });

  it('turns mail off without SMTP_URL, and then needs neither PUBLIC_URL nor MAIL_FROM', () => {
    const mail = mailOf({ ...PRODUCTION, MAIL_DIR: '/tmp/somewhere' });
    expect(mail.transport).toEqual({ kind: 'off' });
  });

  it('still checks a PUBLIC_URL or MAIL_FROM that is given while mail is off', () => {
    expect(
      problemsNaming({ ...PRODUCTION, PUBLIC_URL: 'ftp://x.example.com' }, 'PUBLIC_URL'),
    ).toHaveLength(1);
    expect(problemsNaming({ ...PRODUCTION, MAIL_FROM: 'nobody' }, 'MAIL_FROM')).toHaveLength(1);
  });
});

describe('the development mailbox', () => {
  it('is data/mail in the checkout by default, in development and in tests', () => {
    const dir = path.join(projectRoot, 'data', 'mail');
    expect(mailOf({}).transport).toEqual({ kind: 'directory', dir });
    expect(mailOf({ NODE_ENV: 'test' }).transport).toEqual({ kind: 'directory', dir });
    expect(mailOf({ NODE_ENV: 'development' }).transport).toEqual({ kind: 'directory', dir });
  });

  it('is MAIL_DIR when given, made absolute', () => {
    expect(mailOf({ MAIL_DIR: '/var/tmp/gatehouse-mail' }).transport).toEqual({
      kind: 'directory',
      dir: '/var/tmp/gatehouse-mail',
    });
    expect(mailOf({ MAIL_DIR: 'relative/mail' }).transport).toEqual({
      kind: 'directory',
      dir: path.resolve('relative/mail'),
    });
  });

  it('gives way to SMTP_URL', () => {
    expect(mailOf({ MAIL_DIR: '/tmp/x', SMTP_URL: 'smtp://127.0.0.1:1025' }).transport.kind).toBe(
      'smtp',
    );
  });
});

describe('RESET_TOKEN_MINUTES and the reset rate limits', () => {
  it('defaults to 30 minutes, 20 requests per IP and 5 per address an hour', () => {
    const config = loadConfig({});
    expect(config.resetTokenMinutes).toBe(30);
    expect(config.rateLimits.resetPerIp).toEqual({ points: 20, durationSeconds: 3600 });
    expect(config.rateLimits.resetPerEmail).toEqual({ points: 5, durationSeconds: 3600 });
  });

  it.each(['5', '60', '1440', ' 15 '])('accepts RESET_TOKEN_MINUTES=%j', (minutes) => {
    expect(loadConfig({ RESET_TOKEN_MINUTES: minutes }).resetTokenMinutes).toBe(
      Number(minutes.trim()),
    );
  });

  it.each([
    ['4', 'must be at least 5'],
    ['0', 'must be at least 5'],
    ['1441', 'must be at most 1440'],
    ['-10', 'whole number'],
    ['10.5', 'whole number'],
    ['thirty', 'whole number'],
  ])('refuses RESET_TOKEN_MINUTES=%j (%s)', (minutes, reason) => {
    const problems = problemsNaming({ RESET_TOKEN_MINUTES: minutes }, 'RESET_TOKEN_MINUTES');
    expect(problems).toEqual([expect.stringContaining(reason)]);
  });

  it('reads RATE_LIMIT_RESET_IP and RATE_LIMIT_RESET_EMAIL, and refuses nonsense', () => {
    const config = loadConfig({ RATE_LIMIT_RESET_IP: '3/10m', RATE_LIMIT_RESET_EMAIL: '1/1d' });
    expect(config.rateLimits.resetPerIp).toEqual({ points: 3, durationSeconds: 600 });
    expect(config.rateLimits.resetPerEmail).toEqual({ points: 1, durationSeconds: 86_400 });
    expect(problemsNaming({ RATE_LIMIT_RESET_IP: 'lots' }, 'RATE_LIMIT_RESET_IP')).toHaveLength(1);
    expect(problemsNaming({ RATE_LIMIT_RESET_EMAIL: '5' }, 'RATE_LIMIT_RESET_EMAIL')).toHaveLength(
      1,
    );
  });
});

/** The login page's "Forgot your password?" link, if any. */
function forgotLinks(html: string): string[] {
  return [...html.matchAll(/<a [^>]*href="\/password\/forgot"[^>]*>([^<]*)<\/a>/g)].map(
    (match) => match[1] ?? '',
  );
}

describe('the app with and without mail', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('in production without SMTP_URL: no reset pages and no "Forgot your password?" link', async () => {
    t = await createTestApp({
      env: { NODE_ENV: 'production', COOKIE_SECURE: 'false', LOG_LEVEL: 'silent' },
    });
    expect(t.config.mail.transport).toEqual({ kind: 'off' });
    const browser = newBrowser(t.app);
    const login = await browser.get('/login');
    expect(login.status).toBe(200);
    expect(forgotLinks(login.text)).toEqual([]);
    expect(login.text).not.toContain('Forgot your password?');
    expect(login.text).not.toContain('/password/');

    expect((await browser.get('/password/forgot')).status).toBe(404);
    expect((await browser.get('/password/reset')).status).toBe(404);
    expect((await browser.get(`/password/reset/${'A'.repeat(43)}`)).status).toBe(404);
    // Even with a valid form token, there is nothing to post to.
    const token = /name="_csrf" value="([^"]+)"/.exec(login.text)?.[1] ?? '';
    const posted = await browser
      .post('/password/forgot')
      .type('form')
      .send({ _csrf: token, email: 'someone@example.com' });
    expect(posted.status).toBe(404);
    await t.background.drain();
  });

  it('in development (the mailbox folder): the link is on the login page and leads to the form', async () => {
    t = await createTestApp();
    expect(t.config.mail.transport.kind).toBe('directory');
    const browser = newBrowser(t.app);
    const login = await browser.get('/login');
    expect(forgotLinks(login.text)).toEqual(['Forgot your password?']);
    const forgot = await browser.get('/password/forgot');
    expect(forgot.status).toBe(200);
    expect(forgot.text).toContain('<h1>Forgot your password?</h1>');
  });

  it('in production with SMTP_URL: the link and the reset pages are there', async () => {
    t = await createTestApp({
      env: {
        NODE_ENV: 'production',
        COOKIE_SECURE: 'false',
        LOG_LEVEL: 'silent',
        SMTP_URL: 'smtp://127.0.0.1:9',
        MAIL_FROM: 'no-reply@example.com',
      },
    });
    const browser = newBrowser(t.app);
    expect(forgotLinks((await browser.get('/login')).text)).toEqual(['Forgot your password?']);
    expect((await browser.get('/password/forgot')).status).toBe(200);
  });
});

describe('the built server', () => {
  let dir: string;
  let server: RunningServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-mailcfg-'));
  });
  afterEach(async () => {
    await server?.kill();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const serverEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    NODE_ENV: 'production',
    JWT_SECRET: SECRET,
    COOKIE_SECURE: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: `sqlite:${path.join(dir, 'server.db')}`,
    LOG_LEVEL: 'info',
    ...FAST_ARGON2_ENV,
    ...extra,
  });

  it('warns at start, in production without SMTP_URL, that reset and account mail are off', async () => {
    server = await startServer(serverEnv());
    const warnings = logMessages(server.stdout()).filter((msg) =>
      msg.startsWith('SMTP_URL is not set'),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('password reset and account e-mails are off');
    const warningLine = server
      .stdout()
      .split('\n')
      .find((line) => line.includes('SMTP_URL is not set'));
    expect(JSON.parse(warningLine ?? '{}')).toMatchObject({ level: 40 });
    const forgot = await fetch(`${server.url}/password/forgot`);
    expect(forgot.status).toBe(404);
  });

  it('does not warn when SMTP_URL, MAIL_FROM and PUBLIC_URL are set', async () => {
    server = await startServer(
      serverEnv({
        SMTP_URL: 'smtp://127.0.0.1:9',
        MAIL_FROM: 'no-reply@example.com',
        PUBLIC_URL: 'https://login.example.com',
      }),
    );
    expect(server.stdout()).not.toContain('SMTP_URL is not set');
    expect((await fetch(`${server.url}/password/forgot`)).status).toBe(200);
  });

  it('refuses to start in production with SMTP_URL but no PUBLIC_URL or MAIL_FROM', async () => {
    const result = await runNode(
      'server.js',
      [],
      serverEnv({ SMTP_URL: 'smtp://mailer:hunter2-secret@127.0.0.1:9' }),
    );
    expect(result.code).toBe(1);
    const lines = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('Configuration error'));
    expect(lines).toEqual([
      expect.stringMatching(/^Configuration error: MAIL_FROM must be set in production/),
      expect.stringMatching(/^Configuration error: PUBLIC_URL must be set in production/),
    ]);
    expect(`${result.stdout}${result.stderr}`).not.toContain('hunter2-secret');
  });
});
