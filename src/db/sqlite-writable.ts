import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface UnwritableFile {
  /** The file, or the directory SQLite would have to create one in, that it cannot write. */
  path: string;
  /** Why, as the kernel says it: EPERM, EROFS, EACCES, ... */
  code: string;
}

/**
 * The first of the files SQLite writes for this database (the database, its
 * -wal and its -shm) that cannot be written, or undefined when all can.
 *
 * Why check at all: SQLite maps the -shm into memory and writes it as
 * memory, and once that file is immutable the next store, even by a read,
 * kills the process with SIGBUS: no error, no log line. Asked first, the
 * kernel answers plainly instead.
 *
 * access(2) with W_OK, because it refuses root too where writing would fail
 * for root: EPERM for an immutable or append-only file, EROFS on a read-only
 * mount; for anyone else also EACCES for the file's mode. A file that does
 * not exist yet is judged by its directory (or, where that is missing too,
 * the nearest one that exists: it is created with mkdir -p). It is a
 * diagnosis, not a lock: the answer may change a moment later. Cheap enough
 * (three or four system calls) to run on every readiness probe.
 */
export function findUnwritableSqliteFile(filename: string): UnwritableFile | undefined {
  if (filename === ':memory:') return undefined;
  let isAnyMissing = false;
  for (const file of [filename, `${filename}-wal`, `${filename}-shm`]) {
    const code = refusalToWrite(file);
    if (code === 'ENOENT') isAnyMissing = true;
    else if (code) return { path: file, code };
  }
  return isAnyMissing ? findUnwritableDirectory(path.dirname(filename)) : undefined;
}

/** What an operator should do about it: for the one log line a refused start-up writes. */
export function describeUnwritableFile(unwritable: UnwritableFile): string {
  return `SQLite cannot write ${unwritable.path} (${unwritable.code}): ${adviceFor(unwritable.code)}, then start Gatehouse again`;
}

function adviceFor(code: string): string {
  switch (code) {
    case 'EPERM':
      return 'it is immutable or append-only (lsattr shows "i" or "a"); remove the flag with chattr -i or chattr -a';
    case 'EROFS':
      return 'its file system is mounted read-only; remount it read-write or move DATABASE_URL to a writable one';
    case 'EACCES':
      return `this user (uid ${process.getuid?.() ?? '?'}) may not write it; fix its owner or mode`;
    default:
      return 'make it writable for the user Gatehouse runs as';
  }
}

function findUnwritableDirectory(directory: string): UnwritableFile | undefined {
  let candidate = directory;
  for (;;) {
    const code = refusalToWrite(candidate);
    const parent = path.dirname(candidate);
    if (code === 'ENOENT' && parent !== candidate) candidate = parent;
    else return code ? { path: candidate, code } : undefined;
  }
}

/** The errno code access(W_OK) fails with, or undefined when the path may be written. */
function refusalToWrite(target: string): string | undefined {
  try {
    accessSync(target, constants.W_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EACCES';
  }
}
