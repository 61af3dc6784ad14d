import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp';
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
  /** Where the app's mail goes, unless the caller gave an SMTP_URL of its own. */
  smtp?: TestSmtpServer;
  stop(): Promise<void>;
}

/** A port nobody listens on right now, so PUBLIC_URL can name it before the server starts. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The built server, as deployed (production mode, compiled views cached), on
 * a free port with a fresh SQLite file holding one seeded user. Plain HTTP on
 * loopback, so Secure cookies are turned off. Its mail goes to a real SMTP
 * server in this process (sign-up needs it to confirm addresses), unless
 * `extraEnv` names one.
 */
export async function startE2eApp(extraEnv: Record<string, string> = {}): Promise<E2eApp> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-e2e-'));
  const smtp = extraEnv.SMTP_URL === undefined ? await startSmtpServer() : undefined;
  const port = extraEnv.PORT ?? String(await freePort());
  const mailEnv: Record<string, string> = smtp
    ? {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Gatehouse <no-reply@gatehouse.example>',
        PUBLIC_URL: `http://localhost:${port}`,
      }
    : {};
  const env = {
    NODE_ENV: 'production',
    COOKIE_SECURE: 'false',
    HOST: '127.0.0.1',
    JWT_SECRET: 'e2e-secret-that-is-long-enough-0123456789abcdef',
    DATABASE_URL: `sqlite:${path.join(dir, 'e2e.db')}`,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME: '1',
    LOG_LEVEL: 'info',
    ...mailEnv,
    ...extraEnv,
    PORT: port,
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
    smtp,
    async stop() {
      await server.kill();
      await smtp?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
