import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';

const examplePath = path.join(__dirname, '..', '..', '.env.example');

function readExample(): { name: string; value: string; comment: string }[] {
  const lines = readFileSync(examplePath, 'utf8').split('\n');
  return lines.flatMap((line, index) => {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match?.[1]) return [];
    // A group of related variables may share the comment above the group.
    let above = index - 1;
    while (above >= 0 && /^[A-Z0-9_]+=/.test(lines[above] ?? '')) above -= 1;
    let comment = '';
    for (; above >= 0 && lines[above]?.startsWith('#'); above -= 1) {
      comment = `${lines[above] ?? ''}\n${comment}`;
    }
    return [{ name: match[1], value: match[2] ?? '', comment }];
  });
}

describe('.env.example', () => {
  it('documents every variable the config reads, each under a comment', () => {
    const entries = readExample();
    expect(entries.map((entry) => entry.name).sort()).toEqual([...CONFIG_VARIABLES].sort());
    for (const entry of entries) expect(entry.comment).not.toBe('');
  });

  it('holds values the config accepts as they are', () => {
    const env = Object.fromEntries(readExample().map(({ name, value }) => [name, value]));
    expect(() => loadConfig(env)).not.toThrow();
  });
});
