import { migrateDown, migrateToLatest } from '../db/migrate';
import { openDatabase } from '../db/open-database';
import { readConfigOrExit } from './read-config';
import { runMain } from './run-main';

const USAGE =
  'Usage: npm run db:migrate            apply every pending migration\n       npm run db:migrate -- down    revert the most recent migration';

async function main(args: string[]): Promise<number> {
  const [direction = 'latest', ...rest] = args;
  if (direction === '--help' || direction === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (rest.length > 0 || (direction !== 'latest' && direction !== 'down')) {
    console.error(`Unknown argument: ${args.join(' ')}\n${USAGE}`);
    return 1;
  }
  const config = readConfigOrExit(process.env);
  const database = openDatabase(config.database);
  try {
    const steps =
      direction === 'down' ? await migrateDown(database) : await migrateToLatest(database);
    console.log(steps.length === 0 ? 'Nothing to do: the schema is current.' : steps.join('\n'));
    return 0;
  } finally {
    await database.close();
  }
}

runMain(main, 'Migration failed');
