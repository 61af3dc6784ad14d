import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * No Docker engine runs where these tests run, so the image cannot be built
 * here: this checks the Dockerfile says what the deployment relies on.
 */
const dockerfile = readFileSync(path.join(__dirname, '..', '..', 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

const stages = instructions.filter((line) => line.startsWith('FROM '));
const finalStage = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1] ?? ''));

describe('the Dockerfile', () => {
  it('builds in one stage and runs in another, both on a supported Node LTS', () => {
    expect(stages).toHaveLength(2);
    for (const stage of stages) expect(stage).toMatch(/^FROM node:22-slim\b/);
  });

  it('runs the native modules’ install scripts (never --ignore-scripts)', () => {
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).not.toContain('--ignore-scripts');
    expect(dockerfile).toMatch(/apt-get install[^\n]*python3 make g\+\+/);
  });

  it('runs the built server as a non-root user, in production, with data in a volume', () => {
    expect(finalStage).toContain('USER node');
    expect(finalStage.join('\n')).toMatch(/NODE_ENV=production/);
    expect(finalStage).toContain('VOLUME ["/app/data"]');
    expect(finalStage[finalStage.length - 1]).toMatch(
      /^CMD \["node", ("--max-[a-z-]+-space-size=\d+", )*"dist\/src\/server\.js"\]$/,
    );
    for (const folder of ['views', 'public', 'migrations/seeds', 'dist', 'node_modules']) {
      expect(finalStage.join('\n')).toContain(`./${folder}`);
    }
  });

  it('keeps argon2 memory in one malloc arena, as the benchmark measured it', () => {
    expect(finalStage.join('\n')).toMatch(/MALLOC_ARENA_MAX=1/);
    const benchTarget = readFileSync(
      path.join(__dirname, '..', '..', 'bench', 'gatehouse.env'),
      'utf8',
    );
    expect(benchTarget).toMatch(/MALLOC_ARENA_MAX=1/);
  });

  it('checks its health on /healthz', () => {
    expect(finalStage.join('\n')).toMatch(/HEALTHCHECK .*\/healthz/);
  });
});
