import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Argon2Params } from './hashing.config';
import { projectRoot } from '../paths';
import { encodeParams } from './hashing-worker.protocol';

/** Built from src/auth/hashing-worker.main.ts; `npm run build` makes it. */
export const HASHING_WORKER_ENTRY = path.join(
  projectRoot,
  'dist',
  'src',
  'auth',
  'hashing-worker.main.js',
);

/**
 * The child has almost no JavaScript heap (argon2's 19 MiB per hash is native
 * memory): small V8 limits and one V8 helper thread keep its footprint small.
 */
const CHILD_NODE_FLAGS = ['--max-old-space-size=16', '--max-semi-space-size=1', '--v8-pool-size=1'];

/**
 * Only what the child uses: the server's secrets (JWT_SECRET, DATABASE_URL,
 * SMTP_URL) stay out of it, and so does NODE_OPTIONS, which would undo its flags.
 */
function childEnv(concurrency: number, serverEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: String(concurrency) };
  // One malloc arena (Dockerfile, bench): argon2's memory is not kept per thread.
  if (serverEnv.MALLOC_ARENA_MAX) env.MALLOC_ARENA_MAX = serverEnv.MALLOC_ARENA_MAX;
  return env;
}

/** Starts one hashing child (hashing-worker.main.ts) with its flags and environment. */
export function forkHashingChild(
  entry: string,
  options: { params: Argon2Params; concurrency: number; serverEnv?: NodeJS.ProcessEnv },
): ChildProcess {
  return fork(entry, [encodeParams(options.params)], {
    execArgv: CHILD_NODE_FLAGS,
    env: childEnv(options.concurrency, options.serverEnv ?? {}),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
}
