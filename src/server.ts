import { createRedisLimiterFactory } from './abuse/redis-limiter';
import { createApp } from './app';
import { createPasswordHasher } from './auth/password';
import { systemClock } from './clock';
import { readConfigOrExit } from './cli/read-config';
import { migrateToLatest } from './db/migrate';
import { openDatabase } from './db/open-database';
import { createLogger } from './logger';
import { startSessionPurger } from './sessions/session-purger';
import { countUsers } from './users/users.repository';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const config = readConfigOrExit(process.env);
  const logger = createLogger(config);
  if (config.isJwtSecretGenerated) {
    logger.warn(
      'JWT_SECRET is not set: using a random secret for this process, so sessions end when it restarts',
    );
  }

  const database = openDatabase(config.database);
  if (config.migrateOnStart) {
    for (const step of await migrateToLatest(database)) logger.info(`migration: ${step}`);
  }
  if ((await countUsers(database.db)) === 0) {
    logger.info(
      'No users yet: run `npm run db:seed` to add the development users, or `npm run db:seed -- users.json`',
    );
  }
  const stopPurger = startSessionPurger({ db: database.db, clock: systemClock, logger });

  const redis = config.redisUrl
    ? createRedisLimiterFactory({
        url: config.redisUrl,
        failClosed: config.isRateLimitFailClosed,
        logger,
      })
    : undefined;
  // The dummy hash (for unknown e-mails) is made now, not on the first such
  // login, so that one request does not take a hash longer than the others.
  const hasher = createPasswordHasher(config.argon2);
  hasher
    .dummyHash()
    .catch((error: unknown) => logger.warn({ err: error }, 'could not prepare the dummy hash'));
  const app = createApp({ config, database, logger, hasher, limiterFactory: redis?.factory });
  const server = app.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
    logger.info(`Gatehouse listening on http://${shownHost}:${port}`);
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
    // close() stops accepting and waits for in-flight requests; idle keep-alive
    // connections would otherwise hold it open until they time out.
    server.close(async () => {
      await redis?.close();
      await database.close();
      logger.info('shut down cleanly');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutDown('SIGTERM'));
  process.on('SIGINT', () => shutDown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Gatehouse failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
