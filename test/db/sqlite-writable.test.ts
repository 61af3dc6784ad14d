import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateToLatest } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import {
  describeUnwritableFile,
  findUnwritableSqliteFile,
  type UnwritableFile,
} from '../../src/db/sqlite-writable';
import {
  canDoInScratchDir,
  canMakeImmutable,
  canMountTmpfs,
  describeIfCapable,
  setImmutable,
} from '../helpers/services';
import { builtScript } from '../helpers/spawn';

const SUFFIXES = ['', '-wal', '-shm'];

let dir: string;
let dbFile: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-writable-'));
  dbFile = path.join(dir, 'gatehouse.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The three files SQLite keeps for a database in WAL mode, as plain files. */
function createSqliteFiles(): void {
  for (const suffix of SUFFIXES) writeFileSync(`${dbFile}${suffix}`, '');
}

describe('findUnwritableSqliteFile', () => {
  it('passes a database SQLite has open, with its -wal and -shm', async () => {
    const database = openDatabase({ kind: 'sqlite', filename: dbFile });
    try {
      await migrateToLatest(database);
      for (const suffix of SUFFIXES) expect(existsSync(`${dbFile}${suffix}`)).toBe(true);
      expect(findUnwritableSqliteFile(dbFile)).toBeUndefined();
    } finally {
      await database.close();
    }
  });

  it('passes files not created yet, in a writable folder or one mkdir -p can make', () => {
    expect(findUnwritableSqliteFile(dbFile)).toBeUndefined();
    expect(findUnwritableSqliteFile(path.join(dir, 'data', 'deeper', 'x.db'))).toBeUndefined();
  });

  it('has nothing to check for an in-memory database', () => {
    expect(findUnwritableSqliteFile(':memory:')).toBeUndefined();
  });

  it('tells the operator which file and what to do', () => {
    expect(describeUnwritableFile({ path: '/srv/data/x.db-shm', code: 'EROFS' })).toBe(
      'SQLite cannot write /srv/data/x.db-shm (EROFS): its file system is mounted read-only; remount it read-write or move DATABASE_URL to a writable one, then start Gatehouse again',
    );
  });
});

/** Root ignores file modes but not the immutable flag (access(2) says EPERM). */
describeIfCapable(canMakeImmutable(), 'the chattr +i tests need root on ext4/xfs/btrfs.')(
  'findUnwritableSqliteFile, with the immutable flag (refused to root too)',
  () => {
    let immutable: string[] = [];
    afterEach(() => {
      // Before the folder is removed: an immutable file cannot be deleted.
      if (immutable.length > 0) setImmutable('-i', immutable);
      immutable = [];
    });

    it.each([
      ['the database file', ''],
      ['the -wal', '-wal'],
      ['the -shm', '-shm'],
    ])('names %s when it is immutable', (_name, suffix) => {
      createSqliteFiles();
      immutable = [`${dbFile}${suffix}`];
      setImmutable('+i', immutable);
      expect(findUnwritableSqliteFile(dbFile)).toEqual({ path: immutable[0], code: 'EPERM' });
    });

    it('names the folder when a -wal or -shm must be created in an immutable one', () => {
      writeFileSync(dbFile, '');
      immutable = [dir];
      setImmutable('+i', immutable);
      expect(findUnwritableSqliteFile(dbFile)).toEqual({ path: dir, code: 'EPERM' });
    });

    it('names the nearest existing folder when the database folder must be created', () => {
      immutable = [dir];
      setImmutable('+i', immutable);
      expect(findUnwritableSqliteFile(path.join(dir, 'data', 'x.db'))).toEqual({
        path: dir,
        code: 'EPERM',
      });
    });

    it('passes an immutable folder when every file already exists and is writable', () => {
      createSqliteFiles();
      immutable = [dir];
      setImmutable('+i', immutable);
      expect(findUnwritableSqliteFile(dbFile)).toBeUndefined();
    });
  },
);

/**
 * A tmpfs mounted on the test's folder and remounted read-only (EROFS, to
 * root too); always unmounted after. Needs CAP_SYS_ADMIN.
 */
describeIfCapable(canMountTmpfs(), 'the read-only mount test: mounting needs CAP_SYS_ADMIN here.')(
  'findUnwritableSqliteFile, on a read-only mount',
  () => {
    let isMounted = false;
    afterEach(() => {
      if (isMounted) execFileSync('umount', ['--lazy', dir]);
      isMounted = false;
    });

    it('names the database file, even for root', () => {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'gatehouse-readonly', dir]);
      isMounted = true;
      createSqliteFiles();
      execFileSync('mount', ['-o', 'remount,ro', dir]);
      expect(findUnwritableSqliteFile(dbFile)).toEqual({ path: dbFile, code: 'EROFS' });
    });
  },
);

/**
 * Root may write a file whatever its mode, so as root the check is run by
 * the built module in a child process as the user nobody (setpriv); as an
 * ordinary user, here.
 */
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const isRoot = process.getuid?.() === 0;

function findUnwritableAsOrdinaryUser(filename: string): UnwritableFile | undefined {
  if (!isRoot) return findUnwritableSqliteFile(filename);
  const script = `const { findUnwritableSqliteFile } = require(${JSON.stringify(builtScript('db/sqlite-writable.js'))});
    process.stdout.write(JSON.stringify(findUnwritableSqliteFile(process.argv[1]) ?? null));`;
  const output = execFileSync('setpriv', [...NOBODY, process.execPath, '-e', script, filename], {
    encoding: 'utf8',
  });
  return (JSON.parse(output) as UnwritableFile | null) ?? undefined;
}

const canRunAsOrdinaryUser =
  !isRoot ||
  canDoInScratchDir(() => execFileSync('setpriv', [...NOBODY, 'true'], { stdio: 'ignore' }));

describeIfCapable(canRunAsOrdinaryUser, 'running as nobody needs setpriv here.')(
  'findUnwritableSqliteFile, for an ordinary user (file modes)',
  () => {
    // Searchable by the ordinary user; put back so the folder can be removed.
    beforeEach(() => chmodSync(dir, 0o755));
    afterEach(() => chmodSync(dir, 0o700));

    it('names a file whose mode forbids writing', () => {
      createSqliteFiles();
      for (const suffix of SUFFIXES) chmodSync(`${dbFile}${suffix}`, 0o666);
      chmodSync(`${dbFile}-shm`, 0o444);
      expect(findUnwritableAsOrdinaryUser(dbFile)).toEqual({
        path: `${dbFile}-shm`,
        code: 'EACCES',
      });
    });

    it('names the folder a missing -wal would be created in when its mode forbids writing', () => {
      writeFileSync(dbFile, '');
      chmodSync(dbFile, 0o666);
      chmodSync(dir, 0o555);
      expect(findUnwritableAsOrdinaryUser(dbFile)).toEqual({ path: dir, code: 'EACCES' });
    });
  },
);
