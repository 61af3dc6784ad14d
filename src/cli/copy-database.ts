import { parseDatabaseUrl } from '../db/database.config';
import { copyDatabase, TargetNotEmptyError } from '../db/copy-database';
import { openDatabase } from '../db/open-database';
import { readConfigOrExit } from './read-config';
import { runMain } from './run-main';

const USAGE = `Usage: npm run db:copy -- <target DATABASE_URL>
  Copies every table (users, sessions, audit events, reset links) from the
  database in DATABASE_URL (default: the SQLite file data/gatehouse.db) into
  the target, e.g. postgres://gatehouse@db.internal/gatehouse. The target is
  migrated first and must have no users. Ids are kept, so signed-in sessions
  survive the move when JWT_SECRET stays the same.`;

async function main(args: string[]): Promise<number> {
  const [targetUrl, ...rest] = args;
  if (targetUrl === '--help' || targetUrl === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (targetUrl === undefined || rest.length > 0) {
    console.error(USAGE);
    return 1;
  }
  let targetLocation;
  try {
    targetLocation = parseDatabaseUrl(targetUrl);
  } catch (error) {
    console.error(`The target ${(error as Error).message}`);
    return 1;
  }
  const config = readConfigOrExit(process.env);
  const source = openDatabase(config.database);
  const target = openDatabase(targetLocation);
  try {
    const counts = await copyDatabase(source, target);
    console.log(
      `Copied ${Object.entries(counts)
        .map(([table, count]) => `${count} ${table}`)
        .join(', ')}.`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof TargetNotEmptyError)) throw error;
    console.error(`Not copied: ${error.message}.`);
    return 1;
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

runMain(main, 'Copy failed');
