import type { Argon2Params } from '../config';

/**
 * The messages between the server and its hashing worker (IPC, JSON). Each
 * request carries an id that its reply repeats, so replies may come back in
 * any order (the child hashes several passwords at once).
 */
export type HashingCall =
  | { op: 'hash'; password: string }
  | { op: 'verify'; hash: string; password: string }
  | { op: 'dummyHash' };

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
      return true;
    default:
      return false;
  }
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
