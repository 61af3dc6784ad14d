import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { extractCsrfToken } from '../helpers/browser';
import {
  httpRequest,
  logMessages,
  type RunningServer,
  startSeededServer,
  type SeededServer,
} from '../helpers/spawn';

jest.setTimeout(60_000);

/** One of the shipped development users (migrations/seeds/development-users.json). */
const ALICE = 'alice@example.com';

/**
 * Work after the answer (the reset mail) waits a random moment before it
 * starts; a shutdown in that moment must send it, not drop it.
 */
describe('SIGTERM with background work still waiting (node dist/src/server.js)', () => {
  let dir: string;
  let server: RunningServer;
  let seeded: SeededServer;
  beforeEach(async () => {
    seeded = await startSeededServer('shutdown-mail', (folder) => ({
      MAIL_DIR: path.join(folder, 'mail'),
    }));
    ({ dir, server } = seeded);
  });
  afterEach(() => seeded.close());

  const mailFiles = () => {
    const mailDir = path.join(dir, 'mail');
    return existsSync(mailDir) ? readdirSync(mailDir).filter((name) => name.endsWith('.eml')) : [];
  };

  it('a reset link asked for just before SIGTERM is still written, then the process exits 0', async () => {
    const page = await httpRequest(server.port, { path: '/password/forgot' });
    const cookie = (page.headers['set-cookie'] ?? [])[0]?.split(';')[0] ?? '';
    const body = new URLSearchParams({ _csrf: extractCsrfToken(page.body), email: ALICE });
    const res = await httpRequest(
      server.port,
      {
        method: 'POST',
        path: '/password/forgot',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      },
      body.toString(),
    );
    expect(res.status).toBe(200);

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const files = mailFiles();
    expect(files).toHaveLength(1);
    const mail = readFileSync(path.join(dir, 'mail', files[0] ?? ''), 'utf8');
    expect(mail).toContain(`To: ${ALICE}`);
    expect(mail).toContain('Subject: Reset your Gatehouse password');
    // In that order: the mail was still waiting when the signal came.
    const messages = logMessages(server.stdout());
    const written = messages.findIndex((message) => message.startsWith('dev mailbox:'));
    expect(written).toBeGreaterThan(messages.indexOf('SIGTERM: finishing in-flight requests'));
    expect(messages.indexOf('shut down cleanly')).toBeGreaterThan(written);
  });
});
