import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', '..', 'src');
/** Folders every feature may use; everything else under src/ is a feature. */
const SHARED_FOLDERS = new Set(['http', 'db', 'text', 'types']);

function folders(): string[] {
  return readdirSync(SRC, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}

function filesIn(folder: string): string[] {
  return readdirSync(path.join(SRC, folder)).filter((name) => name.endsWith('.ts'));
}

/** The src/ folders a file imports from, by its relative import paths. */
function importedFolders(folder: string, file: string): string[] {
  const text = readFileSync(path.join(SRC, folder, file), 'utf8');
  const targets = [...text.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((match) => match[1] ?? '');
  return targets
    .map((target) => path.relative(SRC, path.resolve(SRC, folder, target)).split(path.sep)[0] ?? '')
    .filter((top) => top !== folder);
}

describe('the layering of src/', () => {
  // Shared folders serve the features, never the other way round: a feature
  // may render a form with src/http/ or query through src/db/, but neither
  // of those may import a feature (each feature adds its own table to the
  // schema from its *.table.ts).
  it.each(['http', 'db'])('src/%s/ imports no feature folder', (shared) => {
    const features = folders().filter((name) => !SHARED_FOLDERS.has(name));
    const offending = filesIn(shared).flatMap((file) =>
      importedFolders(shared, file)
        .filter((top) => features.includes(top))
        .map((top) => `${file} -> ${top}`),
    );
    expect(offending).toEqual([]);
  });

  it('only src/sessions/ reads the sessions table and signs session tokens', () => {
    const owned = /from '[^']*\/sessions\/(sessions\.repository|session-token)'/;
    const offending = folders()
      .filter((folder) => folder !== 'sessions')
      .flatMap((folder) => filesIn(folder).map((file) => ({ folder, file })))
      .filter(({ folder, file }) => owned.test(readFileSync(path.join(SRC, folder, file), 'utf8')))
      .map(({ folder, file }) => `${folder}/${file}`);
    expect(offending).toEqual([]);
  });
});
