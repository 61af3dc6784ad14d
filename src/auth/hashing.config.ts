import { availableParallelism } from 'node:os';
import { integer, type FieldValues } from '../config-fields';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface HashingSettings {
  argon2: Argon2Params;
  hashing: { concurrency: number; queueSize: number; queueTimeoutMs: number };
}

export const hashingVariables = {
  // OWASP's recommended argon2id minimum: 19 MiB, two passes, one lane.
  ARGON2_MEMORY_KIB: integer(8, 4 * 1024 * 1024, 19456),
  ARGON2_TIME: integer(1, 100, 2),
  ARGON2_PARALLELISM: integer(1, 64, 1),
  HASH_CONCURRENCY: integer(1, 256, availableParallelism),
  HASH_QUEUE: integer(0, 100_000, 64),
  HASH_QUEUE_TIMEOUT_MS: integer(1, 600_000, 2000),
};

export function readHashingSettings(values: FieldValues<typeof hashingVariables>): HashingSettings {
  return {
    argon2: {
      memoryCost: values.ARGON2_MEMORY_KIB,
      timeCost: values.ARGON2_TIME,
      parallelism: values.ARGON2_PARALLELISM,
    },
    hashing: {
      concurrency: values.HASH_CONCURRENCY,
      queueSize: values.HASH_QUEUE,
      queueTimeoutMs: values.HASH_QUEUE_TIMEOUT_MS,
    },
  };
}
