import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listMigrations } from '../../migrations';
import { createPasswordHasher } from '../../src/auth/password';
import type { DatabaseHandle } from '../../src/db/database';
import { isSchemaCurrent } from '../../src/db/migrate';
import { openDatabase } from '../../src/db/open-database';
import { developmentSeedFile } from '../../src/paths';
import { projectRoot, runNode } from '../helpers/spawn';

const SECRET_40 = 'a-forty-character-secret-0123456789abcde';
const MIGRATION_NAMES = Object.keys(listMigrations('sqlite'));

describe('the CLIs on a temporary SQLite file', () => {
  let dir: string;
  let dbFile: string;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-cli-'));
    dbFile = path.join(dir, 'cli.db');
    env = { DATABASE_URL: `sqlite:${dbFile}`, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME: '1' };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Opens the file the CLI wrote to, runs `read` and closes it again. */
  async function inspect<T>(read: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
    const handle = openDatabase({ kind: 'sqlite', filename: dbFile });
    try {
      return await read(handle);
    } finally {
      await handle.close();
    }
  }

  const emails = () =>
    inspect(async ({ db }) =>
      (await db.selectFrom('users').select('email').orderBy('email').execute()).map(
        (row) => row.email,
      ),
    );

  const tableNames = () =>
    inspect(async ({ db }) => (await db.introspection.getTables()).map((table) => table.name));

  describe('seed', () => {
    it('creates the development users, then skips them on a second run', async () => {
      const first = await runNode('cli/seed.js', [], env);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('created 2, skipped 0');
      expect(first.stdout).toContain(path.relative(projectRoot, developmentSeedFile));

      const second = await runNode('cli/seed.js', [], env);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('created 0, skipped 2');
      expect(await emails()).toEqual(['alice@example.com', 'bob@example.com']);
    });

    it('migrates the file it seeds and stores hashes made with the configured parameters', async () => {
      expect((await runNode('cli/seed.js', [], env)).code).toBe(0);
      expect(await inspect((handle) => isSchemaCurrent(handle))).toBe(true);
      const hashes = await inspect(({ db }) =>
        db.selectFrom('users').select('password_hash').execute(),
      );
      const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
      for (const { password_hash: hash } of hashes) {
        expect(hash).toMatch(/^\$argon2id\$/);
        expect(hasher.needsRehash(hash)).toBe(false);
      }
    });

    it('seeds the users of a JSON file given as an argument', async () => {
      const file = path.join(dir, 'team.json');
      writeFileSync(
        file,
        JSON.stringify([
          { email: 'Dana@Example.com', password: 'dana team password', full_name: 'Dana' },
        ]),
      );
      const result = await runNode('cli/seed.js', [file], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('created 1, skipped 0');
      expect(await emails()).toEqual(['dana@example.com']);
    });

    it('refuses the development users in production', async () => {
      const result = await runNode('cli/seed.js', [], {
        ...env,
        NODE_ENV: 'production',
        JWT_SECRET: SECRET_40,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Refusing to create the development users in production/);
      expect(result.stderr).toContain('npm run db:seed -- users.json');
      expect(existsSync(dbFile)).toBe(false);
    });

    it('seeds a given file in production', async () => {
      const file = path.join(dir, 'prod.json');
      writeFileSync(
        file,
        JSON.stringify([
          { email: 'ops@example.com', password: 'ops password 1', full_name: 'Ops' },
        ]),
      );
      const result = await runNode('cli/seed.js', [file], {
        ...env,
        NODE_ENV: 'production',
        JWT_SECRET: SECRET_40,
      });
      expect(result.code).toBe(0);
      expect(await emails()).toEqual(['ops@example.com']);
    });

    it.each([
      ['invalid JSON', '[{"email": ', /Cannot use .*bad\.json: .*JSON/],
      ['an object instead of an array', '{"email": "a@example.com"}', /JSON array/],
      [
        'an invalid entry',
        JSON.stringify([{ email: 'nope', password: 'pw', full_name: 'N' }]),
        /Cannot use .*bad\.json: entry 1: "email" must be an e-mail address/,
      ],
    ])(
      'exits 1 with one clear message for %s, writing nothing',
      async (_what, content, message) => {
        const file = path.join(dir, 'bad.json');
        writeFileSync(file, content);
        const result = await runNode('cli/seed.js', [file], env);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(message);
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
        expect(result.stderr).not.toMatch(/^\s+at /m);
        expect(existsSync(dbFile)).toBe(false);
      },
    );

    it('exits 1 naming the file when it does not exist', async () => {
      const missing = path.join(dir, 'missing.json');
      const result = await runNode('cli/seed.js', [missing], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Cannot use ${missing}`);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    });

    it('exits 1 with the usage for more than one path', async () => {
      const result = await runNode('cli/seed.js', ['a.json', 'b.json'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Expected at most one path');
      expect(result.stderr).toContain('Usage: npm run db:seed');
    });

    it('exits 1 naming the variable for a bad configuration', async () => {
      const result = await runNode('cli/seed.js', [], { ...env, ARGON2_TIME: 'fast' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^Configuration error: ARGON2_TIME /);
      expect(existsSync(dbFile)).toBe(false);
    });
  });

  describe('migrate', () => {
    it('applies every migration, then reports nothing to do', async () => {
      const first = await runNode('cli/migrate.js', [], env);
      expect(first.code).toBe(0);
      expect(first.stdout.trim().split('\n')).toEqual(MIGRATION_NAMES.map((name) => `Up ${name}`));
      expect(await tableNames()).toEqual(expect.arrayContaining(['users', 'sessions']));

      const second = await runNode('cli/migrate.js', [], env);
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('Nothing to do');
    });

    it('reverts one migration per `down`, until the sessions table is gone', async () => {
      expect((await runNode('cli/migrate.js', [], env)).code).toBe(0);
      for (const name of [...MIGRATION_NAMES].reverse()) {
        const down = await runNode('cli/migrate.js', ['down'], env);
        expect(down.code).toBe(0);
        expect(down.stdout.trim()).toBe(`Down ${name}`);
        if (name === '0002_create_sessions') break;
      }
      const tables = await tableNames();
      expect(tables).not.toContain('sessions');
      expect(tables).toContain('users');
      expect(await inspect((handle) => isSchemaCurrent(handle))).toBe(false);
    });

    it('exits 1 with the usage for an unknown direction, touching no file', async () => {
      const result = await runNode('cli/migrate.js', ['sideways'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Unknown argument: sideways');
      expect(result.stderr).toContain('Usage: npm run db:migrate');
      expect(existsSync(dbFile)).toBe(false);
    });
  });
});
