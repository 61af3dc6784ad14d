import { existsSync } from 'node:fs';
import { canMakeImmutable, describeIfCapable } from '../helpers/services';
import { httpRequest, logMessages, runNode, type RunningServer } from '../helpers/spawn';
import { faultServerEnv, immutableScratch, startFaultServer } from './support';

jest.setTimeout(60_000);

/**
 * SQLite's files made immutable (chattr +i), refused to root too. For the
 * -shm that is the dangerous one: SQLite writes it as mapped memory, and the
 * next store after the flag is set, even by a read, ends the process with
 * SIGBUS, logging nothing. So /readyz and start-up look at the files
 * themselves (access(2)) before anything touches SQLite, and name the file.
 *
 * Needs CAP_LINUX_IMMUTABLE (root) and a file system with the attribute
 * (ext4, xfs, btrfs); elsewhere the suite says so and is skipped. Every flag
 * set is cleared in teardown, before the temp folder is removed.
 */
const describeIfImmutable = describeIfCapable(
  canMakeImmutable(),
  'the chattr +i tests need root (CAP_LINUX_IMMUTABLE) on ext4/xfs/btrfs.',
);

const SQLITE_FILES = [
  ['the -shm', '-shm'],
  ['the database file', ''],
  ['the -wal', '-wal'],
] as const;

describeIfImmutable('SQLite files that cannot be written (chattr +i)', () => {
  const scratch = immutableScratch('gatehouse-unwritable-');
  let server: RunningServer | undefined;

  beforeEach(() => scratch.create());
  afterEach(async () => {
    // First: an immutable file cannot be deleted, not even by root.
    scratch.release();
    await server?.kill();
    server = undefined;
    scratch.remove();
  });

  const readyz = async (port: number) => {
    const res = await httpRequest(port, { path: '/readyz' });
    return { status: res.status, body: JSON.parse(res.body) as unknown };
  };

  it.each(SQLITE_FILES)(
    '/readyz answers 503 once %s is immutable (the log names the file, once; the answer does not), the server stays up, and is ready again once it is writable',
    async (_name, suffix) => {
      server = await startFaultServer(`sqlite:${scratch.dbFile}`);
      expect((await readyz(server.port)).status).toBe(200);
      const file = `${scratch.dbFile}${suffix}`;
      expect(existsSync(file)).toBe(true);

      scratch.makeImmutable([file]);
      for (let probe = 0; probe < 3; probe += 1) {
        expect(await readyz(server.port)).toEqual({
          status: 503,
          body: { status: 'unavailable', database: 'not writable' },
        });
      }
      const logged = server
        .stdout()
        .split('\n')
        .filter((line) => line.includes(file));
      expect(logged).toHaveLength(1);
      expect(JSON.parse(logged[0] ?? '')).toMatchObject({ level: 50, file });
      // Answered without touching SQLite: the process is still there.
      expect((await httpRequest(server.port, { path: '/healthz' })).status).toBe(200);
      expect(server.child.exitCode).toBeNull();
      expect(server.child.signalCode).toBeNull();

      scratch.release();
      expect(await readyz(server.port)).toEqual({
        status: 200,
        body: { status: 'ready', database: 'ok', migrations: 'current' },
      });
    },
  );

  it.each(SQLITE_FILES)(
    'a server started with %s immutable exits 1 with one line naming it and what to do, not with a signal',
    async (_name, suffix) => {
      // Files left behind as after kill -9 (a clean shutdown removes the -wal and -shm).
      server = await startFaultServer(`sqlite:${scratch.dbFile}`);
      await server.kill();
      server = undefined;
      const file = `${scratch.dbFile}${suffix}`;
      expect(existsSync(file)).toBe(true);

      scratch.makeImmutable([file]);
      const run = await runNode(
        'server.js',
        [],
        faultServerEnv(`sqlite:${scratch.dbFile}`),
        15_000,
      );

      expect(run).toMatchObject({ code: 1, signal: null });
      const naming = run.stdout.split('\n').filter((line) => line.includes(file));
      expect(naming).toHaveLength(1);
      expect(JSON.parse(naming[0] ?? '{}')).toMatchObject({
        level: 60,
        msg: `SQLite cannot write ${file} (EPERM): it is immutable or append-only (lsattr shows "i" or "a"); remove the flag with chattr -i or chattr -a, then start Gatehouse again`,
      });
      expect(logMessages(run.stdout).filter((msg) => msg.includes('listening'))).toEqual([]);
    },
  );
});
