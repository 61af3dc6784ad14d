import { parseArgs } from 'node:util';
import { createPasswordHasher } from '../auth/password';
import { parseDatabaseUrl } from '../db/database.config';
import { migrateToLatest } from '../db/migrate';
import { openDatabase } from '../db/open-database';
import { runMain } from './run-main';

const USAGE = `Usage: node dist/src/cli/build-bench-db.js <sqlite file> [--users N] [--email E] [--password P]
Builds a benchmark database: N users (default 1,000,000) bulk-inserted with one
shared precomputed argon2id hash (production parameters), the first of them
with the given e-mail (default user1@gmail.com) and password (default 12345).`;

const BATCH = 2000;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      users: { type: 'string', default: '1000000' },
      email: { type: 'string', default: 'user1@gmail.com' },
      password: { type: 'string', default: '12345' },
      help: { type: 'boolean', default: false },
    },
  });
  const count = Number(values.users);
  if (values.help || positionals.length !== 1 || !Number.isInteger(count) || count < 1) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  const started = Date.now();
  const database = openDatabase(parseDatabaseUrl(`sqlite:${positionals[0] ?? ''}`));
  try {
    await migrateToLatest(database);
    const hash = await createPasswordHasher({
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    }).hash(values.password);
    const stamp = new Date().toISOString();
    for (let first = 0; first < count; first += BATCH) {
      const rows = [];
      for (let index = first; index < Math.min(first + BATCH, count); index += 1) {
        rows.push({
          email: index === 0 ? values.email : `bench-user-${index}@bench.example`,
          full_name: `Bench User ${index}`,
          password_hash: hash,
          created_at: stamp,
          updated_at: stamp,
        });
      }
      await database.db.insertInto('users').values(rows).execute();
    }
    console.log(
      `${count} users in ${positionals[0] ?? ''} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

runMain(main, 'Failed');
