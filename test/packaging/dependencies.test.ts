import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `npm audit` cannot be reached from every machine, so the one known advisory
 * in this tree is checked here: csurf pins cookie@0.4.0 (CVE-2024-47764), and
 * the `overrides` entry must keep every installed `cookie` at 0.7.0 or later.
 */
describe('the installed dependencies', () => {
  const lock = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', 'package-lock.json'), 'utf8'),
  ) as { packages: Record<string, { version?: string }> };

  it('hold no cookie package older than 0.7.0', () => {
    const cookies = Object.entries(lock.packages).filter(([where]) =>
      /(^|\/)node_modules\/cookie$/.test(where),
    );
    expect(cookies.length).toBeGreaterThan(0);
    for (const [where, { version = '0.0.0' }] of cookies) {
      const [major = 0, minor = 0] = version.split('.').map(Number);
      expect({ where, isPatched: major > 0 || minor >= 7 }).toEqual({ where, isPatched: true });
    }
  });

  it('are each named, with the reason, in the table of docs/dependencies.md', () => {
    // Found by walking up, so the check holds wherever this file is moved in test/.
    let root = __dirname;
    while (!existsSync(path.join(root, 'package.json')) && path.dirname(root) !== root) {
      root = path.dirname(root);
    }
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const table = readFileSync(path.join(root, 'docs', 'dependencies.md'), 'utf8');
    const named = new Set(
      table
        .split('\n')
        .flatMap((line) =>
          (/^\| ([^|]+?) +\| +\S/.exec(line)?.[1] ?? '')
            .split(',')
            .map((name) => name.trim().replace(/\\\*/g, '*')),
        ),
    );
    const unnamed = [
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.devDependencies),
    ].filter((name) => !named.has(name) && !(name.startsWith('@types/') && named.has('@types/*')));
    expect(unnamed).toEqual([]);
  });
});
