import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createPasswordHasher } from '../../src/auth/password';
import { openDatabase } from '../../src/db/open-database';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp';
import { builtScript, runNode, type RunResult } from '../helpers/spawn';
import { FAST_ARGON2_ENV, TEST_PASSWORD } from '../helpers/test-app';

const CLI = builtScript('cli/user.js');
const NEW_PASSWORD = 'another perfectly fine passphrase';
const CHILD_TIMEOUT_MS = 15_000;
const ADMIN_ORIGIN = 'from the Gatehouse administrator (command line)';

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
});

/** The .eml files in a mailbox folder (none when it was never created). */
function emlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.eml'))
    .map((name) => path.join(dir, name));
}

async function parseEml(file: string): Promise<ParsedMail> {
  return simpleParser(readFileSync(file));
}

function addressesOf(field: ParsedMail['to']): string[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((group) => group.value.map((address) => address.address ?? ''));
}

/** Plain text with line wrapping undone. */
const flat = (text: string | undefined) => (text ?? '').replace(/\s+/g, ' ');

/** The JSON log lines a child wrote to standard error. */
function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the user admin CLI sends account mail', () => {
  let dir: string;
  let dbFile: string;
  let smtp: TestSmtpServer | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-cli-mail-'));
    dbFile = path.join(dir, 'cli.db');
  });
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** The CLI with its mailbox at `mailDir`, logging at info so log lines exist to be misplaced. */
  function cli(
    args: string[],
    options: { stdin?: string; mailDir: string; env?: Record<string, string> },
  ): Promise<RunResult> {
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: `sqlite:${dbFile}`,
      MAIL_DIR: options.mailDir,
      PUBLIC_URL: 'https://login.example.com',
      LOG_LEVEL: 'info',
      ...FAST_ARGON2_ENV,
      ...options.env,
    };
    return runNode('cli/user.js', args, env, CHILD_TIMEOUT_MS, { stdin: options.stdin ?? '' });
  }

  async function addAda(mailDir: string): Promise<RunResult> {
    const result = await cli(
      ['add', 'Ada@Example.com', '--name', 'Ada Lovelace', '--password-stdin'],
      {
        stdin: `${TEST_PASSWORD}\n`,
        mailDir,
      },
    );
    expect(result.code).toBe(0);
    return result;
  }

  it('set-password writes one "password was changed" message to MAIL_DIR, from the administrator', async () => {
    await addAda(path.join(dir, 'welcome'));
    const mailDir = path.join(dir, 'mailbox');
    const result = await cli(['set-password', 'ada@example.com', '--password-stdin'], {
      stdin: `${NEW_PASSWORD}\n`,
      mailDir,
    });
    expect(result.code).toBe(0);
    // Standard output is the answer and nothing else; the log went to standard error.
    expect(result.stdout).toBe('Set a new password for ada@example.com; ended 0 session(s).\n');
    const logged = logLines(result.stderr);
    expect(logged.some((line) => String(line.msg).startsWith('dev mailbox:'))).toBe(true);
    expect(result.stdout).not.toContain('{');
    expect(`${result.stdout}${result.stderr}`).not.toContain(NEW_PASSWORD);

    const files = emlFiles(mailDir);
    expect(files).toHaveLength(1);
    const mail = await parseEml(files[0] ?? '');
    expect(addressesOf(mail.to)).toEqual(['ada@example.com']);
    expect(mail.subject).toBe('Your Gatehouse password was changed');
    expect(mail.from?.value[0]?.address).toBe('no-reply@localhost');
    const text = flat(mail.text);
    expect(text).toMatch(/^Hello, /);
    expect(text).not.toContain('Ada Lovelace');
    expect(text).toContain(`${ADMIN_ORIGIN}.`);
    expect(text).toMatch(/changed on \d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d UTC, from /);
    expect(text).toContain('https://login.example.com/password/forgot');
    expect(flat(mail.html || '')).toContain(
      `<strong>the Gatehouse administrator (command line)</strong>`,
    );
    // The logged line names the file it wrote.
    const saved = logged.find((line) => String(line.msg).startsWith('dev mailbox:'));
    expect(saved?.file).toBe(files[0]);
  });

  it('add writes a welcome message to the new user', async () => {
    const mailDir = path.join(dir, 'mailbox');
    const result = await addAda(mailDir);
    expect(result.stdout).toBe('Added user ada@example.com (id 1, name "Ada Lovelace").\n');
    const files = emlFiles(mailDir);
    expect(files).toHaveLength(1);
    const mail = await parseEml(files[0] ?? '');
    expect(addressesOf(mail.to)).toEqual(['ada@example.com']);
    expect(mail.subject).toBe('Welcome to Gatehouse');
    const text = flat(mail.text);
    expect(text).toContain(`A Gatehouse account was created for ada@example.com on `);
    expect(text).toContain(ADMIN_ORIGIN);
    expect(text).toContain('https://login.example.com/login');
  });

  it('revoke writes a "sessions were logged out" message saying every session', async () => {
    await addAda(path.join(dir, 'welcome'));
    const mailDir = path.join(dir, 'mailbox');
    const result = await cli(['revoke', 'ada@example.com'], { mailDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Ended 0 session(s) of ada@example.com.\n');
    const files = emlFiles(mailDir);
    expect(files).toHaveLength(1);
    const mail = await parseEml(files[0] ?? '');
    expect(mail.subject).toBe('Your Gatehouse sessions were logged out');
    expect(flat(mail.text)).toContain('Every session of your Gatehouse account was logged out on');
    expect(flat(mail.text)).toContain(ADMIN_ORIGIN);
  });

  it('a refused command sends nothing', async () => {
    await addAda(path.join(dir, 'welcome'));
    const mailDir = path.join(dir, 'mailbox');
    const weak = await cli(['set-password', 'ada@example.com', '--password-stdin'], {
      stdin: 'short\n',
      mailDir,
    });
    expect(weak.code).toBe(1);
    const unknown = await cli(['revoke', 'nobody@example.com'], { mailDir });
    expect(unknown.code).toBe(1);
    const taken = await cli(['add', 'ada@example.com', '--password-stdin'], {
      stdin: `${NEW_PASSWORD}\n`,
      mailDir,
    });
    expect(taken.code).toBe(1);
    expect(emlFiles(mailDir)).toEqual([]);
  });

  it('with SMTP_URL, delivers to the mail server and writes no file', async () => {
    smtp = await startSmtpServer();
    const mailDir = path.join(dir, 'mailbox');
    const env = { SMTP_URL: smtp.url, MAIL_FROM: 'Gatehouse Admin <admin@example.org>' };
    const added = await cli(
      ['add', 'ada@example.com', '--name', 'Ada Lovelace', '--password-stdin'],
      {
        stdin: `${TEST_PASSWORD}\n`,
        mailDir,
        env,
      },
    );
    expect(added.code).toBe(0);
    const changed = await cli(['set-password', 'ada@example.com', '--password-stdin'], {
      stdin: `${NEW_PASSWORD}\n`,
      mailDir,
      env,
    });
    expect(changed.code).toBe(0);
    expect(changed.stdout).toBe('Set a new password for ada@example.com; ended 0 session(s).\n');
    // The CLI waits for its mail before it exits: both are already here.
    expect(smtp.messages.map((mail) => mail.parsed.subject)).toEqual([
      'Welcome to Gatehouse',
      'Your Gatehouse password was changed',
    ]);
    for (const mail of smtp.messages) {
      expect(mail.envelopeTo).toEqual(['ada@example.com']);
      expect(mail.parsed.from?.value).toEqual([
        { address: 'admin@example.org', name: 'Gatehouse Admin' },
      ]);
    }
    expect(flat(smtp.messages[1]?.parsed.text)).toContain(ADMIN_ORIGIN);
    expect(emlFiles(mailDir)).toEqual([]);
  });

  it('a mail server that refuses the message does not undo or fail the command; the error goes to stderr', async () => {
    smtp = await startSmtpServer({ credentials: { user: 'mailer', pass: 'right' } });
    const wrong = new URL(smtp.url);
    wrong.password = 'wrong-smtp-password';
    const mailDir = path.join(dir, 'mailbox');
    await addAda(mailDir);
    const result = await cli(['set-password', 'ada@example.com', '--password-stdin'], {
      stdin: `${NEW_PASSWORD}\n`,
      mailDir,
      env: { SMTP_URL: wrong.toString() },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Set a new password for ada@example.com; ended 0 session(s).\n');
    const errors = logLines(result.stderr).filter((line) => line.level === 50);
    expect(errors.map((line) => line.msg)).toEqual(['mail (password-changed) failed']);
    expect(result.stderr).not.toContain('wrong-smtp-password');
    expect(smtp.messages).toHaveLength(0);
    // The new password is in place.
    const database = openDatabase({ kind: 'sqlite', filename: dbFile });
    try {
      const row = await database.db
        .selectFrom('users')
        .select('password_hash')
        .where('email', '=', 'ada@example.com')
        .executeTakeFirstOrThrow();
      const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
      expect(await hasher.verify(row.password_hash, NEW_PASSWORD)).toBe(true);
    } finally {
      await database.close();
    }
  });
});
