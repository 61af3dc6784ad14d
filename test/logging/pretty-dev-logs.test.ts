import { spawnSync } from 'node:child_process';
import { builtScript, projectRoot } from '../helpers/spawn';

/** Logs one line through the built createLogger in a child process, and returns its stdout. */
function logOneLine(nodeEnv: string, isTerminal: boolean): string {
  const script = `
    const { createLogger } = require(${JSON.stringify(builtScript('logger.js'))});
    const logger = createLogger({ logLevel: 'info', nodeEnv: ${JSON.stringify(nodeEnv)} }, { isTerminal: ${String(isTerminal)} });
    logger.info({ userId: 7 }, 'Gatehouse listening on http://localhost:3000');
  `;
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout;
}

describe('log format', () => {
  it('is pretty, one readable line, for a developer at a terminal', () => {
    const output = logOneLine('development', true);
    expect(output.trimStart().startsWith('{')).toBe(false);
    expect(output).toMatch(/INFO.*Gatehouse listening on http:\/\/localhost:3000/);
    expect(output).toContain('userId: 7');
  });

  it('stays JSON lines when piped in development', () => {
    const line = JSON.parse(logOneLine('development', false)) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 30,
      userId: 7,
      msg: 'Gatehouse listening on http://localhost:3000',
    });
  });

  it('stays JSON lines in production, even at a terminal', () => {
    const line = JSON.parse(logOneLine('production', true)) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, userId: 7 });
  });
});
