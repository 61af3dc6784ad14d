import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The README is the first five minutes of a newcomer: it stays short, and it
 * and the documents it sends people to never point at a file that has moved.
 */
const root = path.join(__dirname, '..');
const documents = [
  'README.md',
  'bench/README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Relative link targets of a Markdown file, outside code blocks, without #anchors. */
function relativeLinks(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => (match[1] ?? '').split('#')[0] ?? '')
    .filter((target) => target !== '' && !/^[a-z]+:/.test(target));
}

describe('the documentation', () => {
  it('keeps the README under 12 KB', () => {
    expect(statSync(path.join(root, 'README.md')).size).toBeLessThan(12 * 1024);
  });

  it.each(documents)('%s links only to files that exist', (file) => {
    const missing = relativeLinks(file).filter(
      (target) => !existsSync(path.join(root, path.dirname(file), target)),
    );
    expect(missing).toEqual([]);
  });
});
