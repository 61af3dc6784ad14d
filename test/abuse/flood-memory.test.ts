import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { floodToken } from '../helpers/flood';
import { startServer, type RunningServer } from '../helpers/spawn';
import { TEST_SECRET } from '../helpers/test-app';

/** The V8 heap flags the Dockerfile starts the server with. */
const DOCKERFILE_HEAP_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=96'];
const TOTAL_ATTEMPTS = Number(process.env.FLOOD_TOTAL ?? 200_000);
const BASELINE_AFTER = 10_000;

function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kib / 1024;
}

describe('a flood of refused logins with ever-new e-mails (production server, Dockerfile heap flags)', () => {
  let server: RunningServer | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-flood-'));
  });
  afterAll(async () => {
    await server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${TOTAL_ATTEMPTS.toLocaleString('en')} attempts: the process stays up, RSS stays within 20 MiB of its level after ${BASELINE_AFTER.toLocaleString('en')}, and the audit trail gains a handful of rows`, async () => {
    const database = path.join(dir, 'flood.db');
    server = await startServer(
      {
        NODE_ENV: 'production',
        PORT: '0',
        HOST: '127.0.0.1',
        JWT_SECRET: TEST_SECRET,
        DATABASE_URL: `sqlite:${database}`,
        ARGON2_MEMORY_KIB: '1024',
        ARGON2_TIME: '1',
        MALLOC_ARENA_MAX: '1',
      },
      20_000,
      DOCKERFILE_HEAP_FLAGS,
    );
    const pid = server.child.pid ?? 0;
    let busy = 0;
    try {
      const first = await floodToken(server.port, 0, BASELINE_AFTER);
      const baseline = residentMiB(pid);
      busy = first.get(503) ?? 0;
      const rest = await floodToken(server.port, BASELINE_AFTER, TOTAL_ATTEMPTS - BASELINE_AFTER);
      const final = residentMiB(pid);

      expect(server.child.exitCode).toBeNull();
      // 50 checked passwords per IP and hour (the default), then refusals before
      // any e-mail is counted. Pipelined attempts can also find the hashing
      // queue full at first (503, not counted against the IP).
      expect(Object.fromEntries(first)).toEqual({
        400: 50,
        429: BASELINE_AFTER - 50 - busy,
        ...(busy > 0 ? { 503: busy } : {}),
      });
      expect(Object.fromEntries(rest)).toEqual({ 429: TOTAL_ATTEMPTS - BASELINE_AFTER });
      expect(final - baseline).toBeLessThan(20);
      console.log(
        `flood RSS: ${baseline.toFixed(1)} MiB after ${BASELINE_AFTER}, ${final.toFixed(1)} MiB after ${TOTAL_ATTEMPTS}`,
      );
    } finally {
      // Counts reach the table in the background: let the server finish them.
      server.child.kill('SIGTERM');
      await server.exited;
    }
    const sqlite = new SqliteDatabase(database, { readonly: true });
    try {
      const rows = sqlite
        .prepare(
          'select type, count(*) as rows, sum(count) as attempts from auth_events group by type',
        )
        .all() as { type: string; rows: number; attempts: number }[];
      const throttled = rows.find((row) => row.type === 'login_throttled');
      expect(throttled?.attempts).toBe(TOTAL_ATTEMPTS - 50 - busy);
      expect(throttled?.rows).toBeLessThanOrEqual(3);
      expect(rows.find((row) => row.type === 'login_failed')?.rows).toBe(50);
    } finally {
      sqlite.close();
    }
  }, 240_000);
});
