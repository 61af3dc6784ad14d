// `npm test`'s jest step: the whole suite on SQLite, then the database-backed
// route tests again on a real Postgres (TEST_DATABASE=postgres). Postgres is
// taken from TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test);
// when it does not answer, that second run is skipped with one line, except
// under CI=true, where it fails. Extra arguments go to both jest runs; an
// --outputFile=F becomes F and F.postgres.json.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

// The Postgres pass runs the test files that import createTestApp (directly,
// or through a support module under test/), found by reading their imports:
// createTestApp is the only reader of TEST_DATABASE, so every other file
// (units, CLIs, spawned servers, the browser, file checks) would only run the
// same code twice. A new test file is in the pass exactly when it builds apps.
const NAMED_IMPORT = /import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g;
const LOCAL_MODULE = /from\s*'(\.{1,2}\/[^']+)'/g;
const testRoot = path.dirname(fileURLToPath(import.meta.url));

function buildsTestApps(file, seen = new Set()) {
  if (seen.has(file) || !existsSync(file)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const [, names, from] of text.matchAll(NAMED_IMPORT)) {
    if (from.endsWith('/helpers/test-app') && /\bcreateTestApp\b/.test(names)) return true;
  }
  return [...text.matchAll(LOCAL_MODULE)].some(([, from]) => {
    const target = `${path.resolve(path.dirname(file), from)}.ts`;
    return target.startsWith(testRoot + path.sep) && buildsTestApps(target, seen);
  });
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sqliteOnly = readdirSync(testRoot, { recursive: true })
  .map((name) => path.join(testRoot, name))
  .filter((file) => file.endsWith('.test.ts') && !buildsTestApps(file));
const postgresArgs = [
  ...extra.map((arg) => (arg.startsWith('--outputFile=') ? `${arg}.postgres.json` : arg)),
  // `npm test -- <paths>` may pick none of them.
  '--passWithNoTests',
  '--testPathIgnorePatterns',
  ...sqliteOnly.map((file) => `^${escapeRegExp(file)}$`),
];
console.log('Running the database-backed tests again on Postgres (TEST_DATABASE=postgres)');
const postgresStatus = jest(postgresArgs, { TEST_DATABASE: 'postgres' });
process.exit(sqliteStatus || postgresStatus);
