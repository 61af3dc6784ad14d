import type { Argon2Params } from './hashing.config';

/**
 * The messages between the server and its hashing worker (IPC, JSON). Each
 * request carries an id that its reply repeats, so replies may come back in
 * any order (the child hashes several passwords at once).
 */
export type HashingCall =
  | { op: 'hash'; password: string }
  | { op: 'verify'; hash: string; password: string }
  /** Without params, the worker's configured ones (see src/auth/dummy-hash.ts for why they differ). */
  | { op: 'dummyHash'; params?: Argon2Params };

export type HashingRequest = HashingCall & { id: number };

export type HashingReply =
  { id: number; ok: true; value: string | boolean } | { id: number; ok: false; error: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isHashingRequest(message: unknown): message is HashingRequest {
  if (!isRecord(message) || typeof message.id !== 'number') return false;
  switch (message.op) {
    case 'hash':
      return typeof message.password === 'string';
    case 'verify':
      return typeof message.hash === 'string' && typeof message.password === 'string';
    case 'dummyHash':
      return message.params === undefined || isArgon2Params(message.params);
    default:
      return false;
  }
}

function isArgon2Params(value: unknown): value is Argon2Params {
  const isWhole = (n: unknown, max: number) =>
    typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max;
  return (
    isRecord(value) &&
    isWhole(value.memoryCost, 4 * 1024 * 1024) &&
    isWhole(value.timeCost, 100) &&
    isWhole(value.parallelism, 64)
  );
}

export function isHashingReply(message: unknown): message is HashingReply {
  if (!isRecord(message) || typeof message.id !== 'number') return false;
  if (message.ok === true) {
    return typeof message.value === 'string' || typeof message.value === 'boolean';
  }
  return message.ok === false && typeof message.error === 'string';
}

/** The argon2 parameters travel as the child's one argument. */
export function encodeParams(params: Argon2Params): string {
  return JSON.stringify(params);
}

export function decodeParams(text: string | undefined): Argon2Params {
  const parsed: unknown = JSON.parse(text ?? 'null');
  if (!isRecord(parsed)) throw new Error('the hashing worker needs its argon2 parameters');
  const { memoryCost, timeCost, parallelism } = parsed;
  if (
    !Number.isInteger(memoryCost) ||
    !Number.isInteger(timeCost) ||
    !Number.isInteger(parallelism)
  ) {
    throw new Error(`unusable argon2 parameters: ${text ?? ''}`);
  }
  return {
    memoryCost: Number(memoryCost),
    timeCost: Number(timeCost),
    parallelism: Number(parallelism),
  };
}
