import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

/**
 * jest's globalSetup (test/build-if-stale.mjs), run in a scratch checkout of
 * two source files with the real build configuration: it finds its checkout
 * from its own location, so the real dist/ is never touched.
 */
describe('jest rebuilds dist/ when src/ or migrations/ is newer', () => {
  let scratch: string;
  const file = (relative: string) => path.join(scratch, relative);
  const write = (relative: string, text: string) => {
    mkdirSync(path.dirname(file(relative)), { recursive: true });
    writeFileSync(file(relative), text);
  };
  /** Runs the globalSetup as jest does; returns what it printed. */
  const runGlobalSetup = () => {
    const result = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import(${JSON.stringify(file('test/build-if-stale.mjs'))}).then((m) => m.default())`,
      ],
      { encoding: 'utf8' },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    return result.stdout;
  };
  /** Makes the build look older than every source, as after an edit. */
  const ageBuild = () => {
    const past = new Date(Date.now() - 60_000);
    utimesSync(file('dist/src/server.js'), past, past);
  };

  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'gatehouse-build-'));
    for (const name of ['tsconfig.json', 'tsconfig.build.json', 'test/build-if-stale.mjs']) {
      mkdirSync(path.dirname(file(name)), { recursive: true });
      copyFileSync(path.join(root, name), file(name));
    }
    symlinkSync(path.join(root, 'node_modules'), file('node_modules'));
    write('src/server.ts', "export const served = 'first';\n");
    write('migrations/0001_first.ts', "export const step = 'first';\n");
    // A build newer than its sources, as `npm test` leaves it.
    write('dist/src/server.js', "exports.served = 'first';\n");
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('leaves a build that is newer than every source alone', () => {
    expect(runGlobalSetup()).toBe('');
    expect(readFileSync(file('dist/src/server.js'), 'utf8')).toBe("exports.served = 'first';\n");
  });

  it('rebuilds after an edit in src/', () => {
    ageBuild();
    write('src/server.ts', "export const served = 'second';\n");
    expect(runGlobalSetup()).toContain('building before the tests');
    expect(readFileSync(file('dist/src/server.js'), 'utf8')).toContain("'second'");
    expect(runGlobalSetup()).toBe('');
  });

  it('rebuilds after an edit in migrations/', () => {
    ageBuild();
    write('migrations/0001_first.ts', "export const step = 'second';\n");
    expect(runGlobalSetup()).toContain('building before the tests');
    expect(readFileSync(file('dist/migrations/0001_first.js'), 'utf8')).toContain("'second'");
  });
});
