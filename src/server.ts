import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { createRedisLimiterFactory } from './abuse/redis-limiter';
import { createApp } from './app';
import { createBackgroundTasks } from './background-tasks';
import { createStoredParameters } from './auth/dummy-hash';
import { startHashingWorker } from './auth/hashing-worker';
import { systemClock } from './clock';
import { readConfigOrExit } from './cli/read-config';
import { migrateToLatest } from './db/migrate';
import { openDatabase } from './db/open-database';
import { describeUnwritableFile, findUnwritableSqliteFile } from './db/sqlite-writable';
import { createLogger } from './logger';
import { startSessionPurger } from './sessions/session-purger';
import { hasAnyUser } from './users/users.repository';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const config = readConfigOrExit(process.env);
  const logger = createLogger(config);
  if (config.isJwtSecretGenerated) {
    logger.warn(
      'JWT_SECRET is not set: using a random secret for this process, so sessions end when it restarts',
    );
  }

  if (config.mail.transport.kind === 'off') {
    logger.warn(
      'SMTP_URL is not set: password reset and account e-mails are off (set SMTP_URL, MAIL_FROM and PUBLIC_URL to turn them on)',
    );
    if (config.isSignupOpen && config.isConfirmationRequired) {
      logger.warn(
        'sign-up is closed: CONFIRMATION=required mails each new account a link, and there is no mail (set SMTP_URL, or CONFIRMATION=off, or SIGNUP=closed)',
      );
    }
  }

  // Before SQLite opens it: SQLite opens what it cannot write read-only and
  // fails each write later without naming the file; see sqlite-writable.ts.
  if (config.database.kind === 'sqlite') {
    const unwritable = findUnwritableSqliteFile(config.database.filename);
    if (unwritable) {
      logger.fatal(describeUnwritableFile(unwritable));
      process.exit(1);
    }
  }

  const database = openDatabase(config.database, {
    poolSize: config.databasePoolSize,
    onPoolError: (error) =>
      logger.error({ err: error }, 'database connection lost: the pool will reconnect'),
  });
  if (config.migrateOnStart) {
    for (const step of await migrateToLatest(database)) logger.info(`migration: ${step}`);
  }
  if (!(await hasAnyUser(database.db))) {
    logger.info(
      'No users yet: run `npm run db:seed` to add the development users, or `npm run db:seed -- users.json`',
    );
  }
  const stopPurger = startSessionPurger({
    db: database.db,
    clock: systemClock,
    logger,
    auditRetentionDays: config.auditRetentionDays,
    confirmTokenMinutes: config.confirmTokenMinutes,
  });

  const redis = config.redisUrl
    ? createRedisLimiterFactory({
        url: config.redisUrl,
        failClosed: config.isRateLimitFailClosed,
        logger,
      })
    : undefined;
  // argon2 runs in a child process at the lowest priority (SCHED_IDLE, else
  // nice 19), so that on a shared core a login flood gets only the CPU time
  // page serving leaves (issue 15).
  const hasher = startHashingWorker({
    params: config.argon2,
    concurrency: config.hashing.concurrency,
    logger,
    serverEnv: process.env,
  });
  // The dummy hash (for unknown e-mails) is made now, not on the first such
  // login, so that one request does not take a hash longer than the others;
  // with the parameters most stored hashes use, sampled first.
  const storedParameters = createStoredParameters({
    db: database.db,
    configured: config.argon2,
    clock: systemClock,
    logger,
  });
  storedParameters
    .current()
    .then((params) => hasher.dummyHash(params))
    .catch((error: unknown) => logger.warn({ err: error }, 'could not prepare the dummy hash'));
  const background = createBackgroundTasks(logger);
  const app = createApp({
    config,
    database,
    logger,
    hasher,
    storedParameters,
    limiterFactory: redis?.factory,
    background,
  });
  const server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
    logger.info(`Gatehouse listening on http://${shownHost}:${port}`);
  });

  // Once shutdown begins, responses not yet started (and every later one) say
  // Connection: close, so keep-alive clients stop reusing their connection and
  // it can end cleanly instead of being reset at the deadline.
  const inFlight = new Set<ServerResponse>();
  let isClosing = false;
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (isClosing) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.on('finish', () => inFlight.delete(res)).on('close', () => inFlight.delete(res));
  });

  server.on('error', (error: NodeJS.ErrnoException) => {
    logger.fatal(`cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}`);
    process.exit(1);
  });

  let isShuttingDown = false;
  const shutDown = (signal: string) => {
    if (isShuttingDown) return;
    isShuttingDown = true;
    logger.info(`${signal}: finishing in-flight requests`);
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed: closing remaining connections');
      server.closeAllConnections();
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    stopPurger();
    // Stop accepting and wait for in-flight requests. net.Server's close, not
    // http.Server's: the latter also destroys at once every connection it
    // thinks idle, including one whose next request is already in the socket
    // buffer, and that request would be reset instead of answered.
    net.Server.prototype.close.call(server, async () => {
      // Reset links and notices already accepted still go out.
      await background.drain();
      await redis?.close();
      await database.close();
      await hasher.stop();
      logger.info('shut down cleanly');
      process.exit(0);
    });
    isClosing = true;
    for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
    // Idle connections get a moment: a request already on its way is answered
    // (with Connection: close) instead of being reset.
    const idleCloser = setInterval(() => server.closeIdleConnections(), 500);
    idleCloser.unref();
  };
  process.on('SIGTERM', () => shutDown('SIGTERM'));
  process.on('SIGINT', () => shutDown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Gatehouse failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
