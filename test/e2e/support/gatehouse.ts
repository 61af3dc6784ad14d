import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runNode, startServer, type RunningServer } from '../../helpers/spawn';

export const E2E_USER = {
  email: 'ada@example.com',
  password: 'analytical engine notes',
  fullName: 'Ada Lovelace',
};

export interface E2eApp {
  server: RunningServer;
  /** http://localhost:<port> */
  url: string;
  stop(): Promise<void>;
}

/**
 * The built server, as deployed (production mode, compiled views cached), on
 * a free port with a fresh SQLite file holding one seeded user. Plain HTTP on
 * loopback, so Secure cookies are turned off.
 */
export async function startE2eApp(extraEnv: Record<string, string> = {}): Promise<E2eApp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-e2e-'));
  const env = {
    NODE_ENV: 'production',
    COOKIE_SECURE: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    JWT_SECRET: 'e2e-secret-that-is-long-enough-0123456789abcdef',
    DATABASE_URL: `sqlite:${path.join(dir, 'e2e.db')}`,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME: '1',
    LOG_LEVEL: 'info',
    ...extraEnv,
  };
  const usersFile = path.join(dir, 'users.json');
  writeFileSync(
    usersFile,
    JSON.stringify([
      { email: E2E_USER.email, password: E2E_USER.password, full_name: E2E_USER.fullName },
    ]),
  );
  const seeded = await runNode('cli/seed.js', [usersFile], env);
  if (seeded.code !== 0) throw new Error(`seeding failed: ${seeded.stderr}`);
  const server = await startServer(env);
  return {
    server,
    url: `http://localhost:${server.port}`,
    async stop() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
