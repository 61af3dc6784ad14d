import { lowerOwnPriority } from './process-priority';
import {
  decodeParams,
  isHashingRequest,
  type HashingReply,
  type HashingRequest,
} from './hashing-worker.protocol';
import { createPasswordHasher } from './password';

/**
 * The hashing worker: a child of the server (see hashing-worker.ts) that runs
 * argon2 at the lowest scheduling priority (SCHED_IDLE, else nice 19), so
 * that on a busy core a login flood gets only the CPU time that page serving
 * leaves over.
 */

// First, before any argon2 thread exists: the pool threads inherit it.
lowerOwnPriority();

if (!process.send) {
  console.error(
    'hashing-worker.main.js is started by the server (child_process.fork), not by hand',
  );
  process.exit(1);
}
const hasher = createPasswordHasher(decodeParams(process.argv[2]));

function run(request: HashingRequest): Promise<string | boolean> {
  switch (request.op) {
    case 'hash':
      return hasher.hash(request.password);
    case 'verify':
      return hasher.verify(request.hash, request.password);
    case 'dummyHash':
      return hasher.dummyHash(request.params);
  }
}

// A failed send means the server is gone, and 'disconnect' ends this process.
function ignoreSendError(): void {}

async function answer(request: HashingRequest): Promise<void> {
  let reply: HashingReply;
  try {
    reply = { id: request.id, ok: true, value: await run(request) };
  } catch (error) {
    reply = { id: request.id, ok: false, error: error instanceof Error ? error.message : 'failed' };
  }
  // The server may be gone by now: it then no longer waits for this answer.
  if (process.connected) process.send?.(reply, undefined, {}, ignoreSendError);
}

process.on('message', (message: unknown) => {
  if (isHashingRequest(message)) void answer(message);
});
// The server ended (or died): this process must never outlive it.
process.on('disconnect', () => process.exit(0));
