// `npm test`'s jest step: the whole suite on SQLite and, at the same time, the
// database-backed route tests again on a real Postgres (TEST_DATABASE=postgres).
// Postgres is taken from TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test);
// when it does not answer, that second run is skipped with one line, except
// under CI=true, where it fails. Extra arguments go to both jest runs; an
// --outputFile=F becomes F and F.postgres.json.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import buildIfStale from './build-if-stale.mjs';

/** Runs jest; resolves with its exit status and, when `quiet`, what it printed. */
const jest = (args, { env = {}, quiet = false } = {}) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/jest/bin/jest.js', ...args], {
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: { ...process.env, ...env },
    });
    const output = [];
    child.stdout?.on('data', (chunk) => output.push(chunk));
    child.stderr?.on('data', (chunk) => output.push(chunk));
    child.on('close', (status) => resolve({ status: status ?? 1, output: Buffer.concat(output) }));
  });

const extra = process.argv.slice(2);
const url = new URL(process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
const isUp = await new Promise((resolve) => {
  const socket = connect(Number(url.port || 5432), url.hostname);
  socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
  socket.on('connect', () => (socket.end(), resolve(true)));
  socket.on('error', () => resolve(false));
});
if (!isUp) {
  const { status } = await jest(extra);
  if (process.env.CI === 'true') {
    console.error(`Postgres is required under CI=true but ${url.host} does not answer.`);
    process.exit(1);
  }
  console.log(`Skipping the Postgres run: nothing answers at ${url.host} (set TEST_POSTGRES_URL).`);
  process.exit(status);
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

// Both passes at once: alone, the SQLite pass keeps about one of two cores
// busy and the Postgres pass mostly waits on Postgres's DDL (about 0.1 s per
// test app), so side by side they use the machine instead of taking turns.
// Each test app has its own file or schema and Redis namespace: the two passes
// cannot meet. dist/ is built once here, not by both globalSetups at the same
// time; the Postgres pass's output is printed when it is done.
buildIfStale();
const postgres = jest(postgresArgs, { env: { TEST_DATABASE: 'postgres' }, quiet: true });
const sqlite = await jest(extra);
const { status: postgresStatus, output } = await postgres;
console.log('\nThe database-backed tests again on Postgres (TEST_DATABASE=postgres):');
process.stdout.write(output);
process.exit(sqlite.status || postgresStatus);
