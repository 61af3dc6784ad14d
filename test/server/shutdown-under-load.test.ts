import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { extractCsrfToken } from '../helpers/browser';
import {
  type Exit,
  type RunningServer,
  startSeededServer,
  type SeededServer,
} from '../helpers/spawn';

/**
 * Graceful shutdown while clients are busy. The README promises that SIGTERM
 * stops accepting, finishes in-flight requests and exits within 10 s. Browsers
 * and load balancers keep connections alive, so the clients here do too: the
 * existing shutdown test in test/server.test.ts uses one connection per request.
 */
jest.setTimeout(60_000);

const ALICE = { email: 'alice@example.com', password: 'correct horse battery staple' };
const SHUTDOWN_BOUND_MS = 10_000;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
interface Spec {
  method: 'GET' | 'POST';
  path: string;
  headers: http.OutgoingHttpHeaders;
  body?: string;
}

/** One request; resolves with the reply, or with "CODE (message)" when it failed. */
function send(port: number, agent: http.Agent | false, spec: Spec): Promise<Reply | string> {
  return new Promise((resolve) => {
    const fail = (error: NodeJS.ErrnoException) =>
      resolve(`${error.code ?? 'ERROR'} (${error.message})`);
    const req = http.request({ host: '127.0.0.1', port, agent, ...spec }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(spec.body);
  });
}

function asReply(result: Reply | string): Reply {
  if (typeof result === 'string') throw new Error(result);
  return result;
}

/** The `name=value` part of a Set-Cookie line for `name`. */
function cookieFrom(reply: Reply, name: string): string {
  const line = (reply.headers['set-cookie'] ?? []).find((text) => text.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie (status ${reply.status})`);
  return line.split(';')[0] ?? '';
}

/** Alice's login POST as the form sends it: the form's CSRF cookie and token, the fields. */
async function loginSpec(port: number): Promise<Spec> {
  const page = asReply(await send(port, false, { method: 'GET', path: '/login', headers: {} }));
  const body = new URLSearchParams({ _csrf: extractCsrfToken(page.body), ...ALICE }).toString();
  const headers = {
    cookie: cookieFrom(page, 'csrf'),
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': Buffer.byteLength(body),
  };
  return { method: 'POST', path: '/login', body, headers };
}

/** Polls a condition; jest's timeout bounds it (no assertion on how long it takes). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function exitOrTimeout(server: RunningServer, ms: number): Promise<Exit | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Outcome {
  client: number;
  sentAt: number;
  endedAt: number;
  /** "HTTP 200", or the error, e.g. "ECONNRESET (socket hang up)". */
  result: string;
  isExpectedAnswer: boolean;
}

describe('SIGTERM under keep-alive load (node dist/src/server.js)', () => {
  let server: RunningServer;
  let seeded: SeededServer;
  beforeEach(async () => {
    seeded = await startSeededServer('shutdown', () => ({
      // A queued hash must not become a 503 on a slow machine: this is about shutdown.
      HASH_QUEUE_TIMEOUT_MS: '30000',
    }));
    ({ server } = seeded);
  });
  afterEach(() => seeded.close());

  // KNOWN FAILURE until shutDown in src/server.ts is fixed (this test came with
  // the bug report): answers given after server.close() still say
  // `Connection: keep-alive`, so busy clients keep reusing their connections;
  // the process reaches its 10 s deadline, destroys them mid-request and exits
  // 1. And http.Server#close() itself destroys every connection Node counts as
  // idle, so a request already sent on one, not yet read, is reset at once.
  it('finishes every in-flight request, refuses new connections and exits 0 within 10 s, with no 5xx and no reset', async () => {
    const { port } = server;
    const session = cookieFrom(asReply(await send(port, false, await loginSpec(port))), 'session');
    const privatePage: Spec = { method: 'GET', path: '/private', headers: { cookie: session } };
    const logins = await Promise.all([1, 2, 3, 4].map(() => loginSpec(port)));

    // 16 clients read the private page and 4 log in, each on one keep-alive
    // connection, back to back, until a request does not get its answer. A
    // graceful server ends each connection after an answer, so every client
    // should end on ECONNREFUSED for a fresh connection, and nothing else fail.
    const outcomes: Outcome[] = [];
    const okCounts = new Array<number>(20).fill(0);
    const clients = okCounts.map(async (_, client) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const spec = logins[client] ?? privatePage;
      const expected = `HTTP ${spec === privatePage ? 200 : 303}`;
      try {
        for (;;) {
          const sentAt = performance.now();
          const reply = await send(port, agent, spec);
          const result = typeof reply === 'string' ? reply : `HTTP ${reply.status}`;
          const isExpectedAnswer = result === expected;
          outcomes.push({ client, sentAt, endedAt: performance.now(), result, isExpectedAnswer });
          if (!isExpectedAnswer) return;
          okCounts[client] = (okCounts[client] ?? 0) + 1;
        }
      } finally {
        agent.destroy();
      }
    });

    // Signal once every client is in its stride (or something already failed).
    await until(
      () => okCounts.every((count) => count >= 3) || outcomes.some((o) => !o.isExpectedAnswer),
    );
    const signalledAt = performance.now();
    server.child.kill('SIGTERM');
    const exit = await exitOrTimeout(server, SHUTDOWN_BOUND_MS + 2_000);
    const exitedAfterMs = performance.now() - signalledAt;
    await Promise.all(clients);

    // Requests sent before the signal and answered after: the test covered them.
    expect(outcomes.some((o) => o.sentAt < signalledAt && o.endedAt > signalledAt)).toBe(true);
    // The only acceptable failure is a refused fresh connection after the
    // signal. No reset: the server, not the client, decides when a keep-alive
    // connection ends, and can end each right after an answer that says so.
    const failures = outcomes
      .filter((o) => !o.isExpectedAnswer)
      .filter((o) => !(o.result.startsWith('ECONNREFUSED') && o.sentAt > signalledAt))
      .map(
        (o) => `client ${o.client}: ${o.result}, sent at ${Math.round(o.sentAt - signalledAt)} ms`,
      );
    const lastResult = (client: number) =>
      outcomes
        .filter((o) => o.client === client)
        .pop()
        ?.result.split(' ')[0];
    // Every symptom at once, so a failure tells the whole story.
    expect({
      failures: failures.slice(0, 20),
      failureCount: failures.length,
      howEachClientEnded: [...new Set(okCounts.map((_, client) => lastResult(client)))],
      exit,
      isWithinBound: exitedAfterMs < SHUTDOWN_BOUND_MS,
    }).toEqual({
      failures: [],
      failureCount: 0,
      howEachClientEnded: ['ECONNREFUSED'],
      exit: { code: 0, signal: null },
      isWithinBound: true,
    });
  });

  // KNOWN FAILURE until shutDown in src/server.ts is fixed: the answer says
  // `Connection: keep-alive`, inviting the client to send its next request on
  // a connection the closing server will then serve past its deadline or reset.
  it('answers a request in flight at SIGTERM with Connection: close, and refuses new connections meanwhile', async () => {
    const { port } = server;
    const spec = await loginSpec(port);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // The request's headers reach the server (it answers 100 Continue) while
    // its body is held back: provably in flight when the signal comes.
    const held = http.request({ host: '127.0.0.1', port, agent, ...spec });
    held.setHeader('expect', '100-continue');
    const continued = new Promise<void>((resolve) => held.once('continue', () => resolve()));
    const replied = new Promise<http.IncomingMessage>((resolve, reject) => {
      held.once('response', (res) => resolve(res.resume()));
      held.once('error', reject);
    });
    held.flushHeaders();
    await continued;

    const signalledAt = performance.now();
    server.child.kill('SIGTERM');
    await server.waitForOutput('SIGTERM: finishing in-flight requests');
    // The line is logged just before the listener closes, so a connection made
    // at once may still be accepted by the kernel and then reset (never
    // answered); later ones are refused, all while the login is still held.
    const probes: string[] = [];
    while (probes.length < 20 && !probes.at(-1)?.startsWith('ECONNREFUSED')) {
      const probe = await send(port, false, { method: 'GET', path: '/healthz', headers: {} });
      probes.push(typeof probe === 'string' ? probe : `HTTP ${probe.status}`);
    }
    expect(probes.at(-1)).toMatch(/^ECONNREFUSED/);
    expect(probes.filter((probe) => probe.startsWith('HTTP'))).toEqual([]);

    held.end(spec.body);
    const res = await replied;
    expect(res.statusCode).toBe(303);
    expect(res.headers.connection).toBe('close');
    // The client keeps its agent open: the server must not wait for it.
    expect(await exitOrTimeout(server, SHUTDOWN_BOUND_MS)).toEqual({ code: 0, signal: null });
    expect(performance.now() - signalledAt).toBeLessThan(SHUTDOWN_BOUND_MS);
    agent.destroy();
  });
});
