// `npm test`'s jest step: the whole suite on SQLite, then the database-backed
// route tests again on a real Postgres (TEST_DATABASE=postgres). Postgres is
// taken from TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test);
// when it does not answer, that second run is skipped with one line, except
// under CI=true, where it fails. Extra arguments go to both jest runs; an
// --outputFile=F becomes F and F.postgres.json.
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';

const jest = (args, env = {}) =>
  spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  }).status ?? 1;

const extra = process.argv.slice(2);
const sqliteStatus = jest(extra);

const url = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const isUp = await new Promise((resolve) => {
  const socket = connect(Number(url.port || 5432), url.hostname);
  socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
  socket.on('connect', () => (socket.end(), resolve(true)));
  socket.on('error', () => resolve(false));
});
if (!isUp) {
  if (process.env.CI === 'true') {
    console.error(`Postgres is required under CI=true but ${url.host} does not answer.`);
    process.exit(1);
  }
  console.log(`Skipping the Postgres run: nothing answers at ${url.host} (set TEST_POSTGRES_URL).`);
  process.exit(sqliteStatus);
}

// The tests that build apps with createTestApp; the others (child processes,
// the browser, file checks) do not depend on the database dialect.
const postgresArgs = [
  ...extra.map((arg) => (arg.startsWith('--outputFile=') ? `${arg}.postgres.json` : arg)),
  '--testPathIgnorePatterns',
  'test/e2e',
  'test/cli',
  'test/server',
  'test/scale',
  'test/faults',
  'test/abuse/flood-memory',
  'test/mail/mail-config',
  'test/packaging',
  'test/db/copy-database',
  'test/logging',
  'test/config',
];
console.log('Running the database-backed tests again on Postgres (TEST_DATABASE=postgres)');
const postgresStatus = jest(postgresArgs, { TEST_DATABASE: 'postgres' });
process.exit(sqliteStatus || postgresStatus);
