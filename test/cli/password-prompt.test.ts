import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtScript, projectRoot } from '../helpers/spawn';
import { FAST_ARGON2_ENV } from '../helpers/test-app';

// util-linux's `script` gives the CLI a real terminal, which the prompt needs.
const SCRIPT = '/usr/bin/script';
const describeWithTerminal = existsSync(SCRIPT) ? describe : describe.skip;
if (!existsSync(SCRIPT)) console.log(`Skipping the password prompt test: no ${SCRIPT}.`);

describeWithTerminal('npm run user -- add, on a terminal', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-prompt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('asks for the password twice without echoing it', async () => {
    const password = 'typed secret words here';
    const command = `${process.execPath} ${builtScript('cli/user.js')} add zoe@example.com --name Zoe`;
    const child = spawn(SCRIPT, ['-qec', command, '/dev/null'], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: `sqlite:${path.join(dir, 'prompt.db')}`,
        MAIL_DIR: path.join(dir, 'mail'),
        ...FAST_ARGON2_ENV,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      // Answer each prompt as a person would, once it is shown.
      if (/New password: $/.test(output) || /Repeat it: $/.test(output)) {
        child.stdin.write(`${password}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(output).toContain('New password:');
    expect(output).toContain('Repeat it:');
    expect(output).toContain('Added user zoe@example.com');
    expect(output).not.toContain(password);
  });
});
