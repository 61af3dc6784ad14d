import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Counter, CounterOptions } from './rate-limit';

interface Entry {
  points: number;
  /** Epoch ms at which this window ends and the entry is void. */
  endsAt: number;
}

/** Expired entries looked at (from the oldest end) per operation: bounded work. */
const SWEEP_PER_OPERATION = 8;

/**
 * A fixed-window counter in this process's memory with a hard cap on keys.
 * rate-limiter-flexible's RateLimiterMemory keeps every key (and one timer per
 * key) for its whole window, so a flood of ever-new keys grows the heap until
 * the process dies. Here a Map in least-recently-used order holds at most
 * `maxKeys` entries: past that the least recently touched key is forgotten.
 * No timers: expiry is checked on use, and a few expired entries are swept
 * from the old end on each operation.
 */
export class BoundedMemoryCounter implements Counter {
  private readonly entries = new Map<string, Entry>();
  private readonly points: number;
  private readonly durationMs: number;

  constructor(
    options: CounterOptions,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {
    this.points = options.points;
    this.durationMs = options.duration * 1000;
  }

  /** How many keys are held (tests, and the memory bound's proof). */
  get size(): number {
    return this.entries.size;
  }

  consume(key: string): Promise<RateLimiterRes> {
    const now = this.now();
    this.sweep(now);
    const live = this.liveEntry(key, now);
    const entry = live ?? { points: 0, endsAt: now + this.durationMs };
    entry.points += 1;
    // Re-inserting moves the key to the young end of the Map's order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const result = new RateLimiterRes(
      Math.max(this.points - entry.points, 0),
      entry.endsAt - now,
      entry.points,
      live === undefined,
    );
    return entry.points > this.points ? Promise.reject(result) : Promise.resolve(result);
  }

  /** Gives one point back; an entry back at zero is dropped, freeing its memory. */
  reward(key: string): Promise<unknown> {
    const entry = this.liveEntry(key, this.now());
    if (entry) {
      entry.points -= 1;
      if (entry.points <= 0) this.entries.delete(key);
    }
    return Promise.resolve();
  }

  delete(key: string): Promise<unknown> {
    this.entries.delete(key);
    return Promise.resolve();
  }

  private liveEntry(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.endsAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(now: number): void {
    let looked = 0;
    for (const [key, entry] of this.entries) {
      if (looked >= SWEEP_PER_OPERATION) return;
      looked += 1;
      if (entry.endsAt <= now) this.entries.delete(key);
    }
  }
}
