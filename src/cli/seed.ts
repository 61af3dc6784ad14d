import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPasswordHasher } from '../auth/password';
import { systemClock } from '../clock';
import { migrateToLatest } from '../db/migrate';
import { openDatabase } from '../db/open-database';
import { developmentSeedFile } from '../paths';
import { parseSeedUsers, seedUsers } from '../users/seed-users';
import { readConfigOrExit } from './read-config';
import { runMain } from './run-main';

const USAGE = `Usage: npm run db:seed [-- path/to/users.json]
The file holds [{"email": "...", "password": "...", "full_name": "..."}].
Without a path, the development users in migrations/seeds/ are created.`;

async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  if (args.length > 1) {
    console.error(`Expected at most one path, got: ${args.join(' ')}\n${USAGE}`);
    return 1;
  }
  const config = readConfigOrExit(process.env);
  const file = args[0] === undefined ? developmentSeedFile : path.resolve(args[0]);
  if (config.isProduction && file === developmentSeedFile) {
    console.error(
      'Refusing to create the development users in production: their passwords are public. Pass your own file: npm run db:seed -- users.json',
    );
    return 1;
  }

  let users;
  try {
    users = parseSeedUsers(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    console.error(`Cannot use ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }

  const database = openDatabase(config.database);
  try {
    await migrateToLatest(database);
    const hasher = createPasswordHasher(config.argon2);
    const { created, skipped } = await seedUsers(
      { db: database.db, hasher, clock: systemClock },
      users,
    );
    console.log(
      `Seeded from ${path.relative(process.cwd(), file) || file}: created ${created}, skipped ${skipped} (already present).`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

runMain(main, 'Seeding failed');
