// Jest's globalSetup: the suites that start the real server or CLIs run the
// compiled dist/, so `npx jest <path>` right after editing src/ would test the
// old code. Rebuild first when any source is newer than its build (npm test
// has just built, so there this costs one directory walk).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    newest = Math.max(newest, mtime);
  }
  return newest;
}

export default function buildIfStale() {
  const built = path.join(root, 'dist', 'src', 'server.js');
  const sources = Math.max(
    newestMtime(path.join(root, 'src')),
    newestMtime(path.join(root, 'migrations')),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  console.log('\nsrc/ is newer than dist/: building before the tests (tsc -p tsconfig.build.json)');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}
