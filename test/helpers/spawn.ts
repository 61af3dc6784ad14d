import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The checkout; child processes run from here, as `npm run ...` would. */
export const projectRoot = path.resolve(__dirname, '..', '..');

/** A built entry point such as `cli/seed.js`; `npm test` builds dist/ first. */
export function builtScript(relative: string): string {
  return path.join(projectRoot, 'dist', 'src', relative);
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Mail a child sends without SMTP_URL (development, test) lands here, not in
 * the checkout's data/mail, unless the test names its own MAIL_DIR.
 */
export const CHILD_MAIL_DIR = path.join(tmpdir(), 'gatehouse-test-mail');

/**
 * Only what the test gives, plus PATH: the child must not pick up the
 * developer's (or jest's) NODE_ENV, DATABASE_URL or JWT_SECRET.
 */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', MAIL_DIR: CHILD_MAIL_DIR, ...env };
}

/** Runs `node dist/src/<script> ...args` to completion and captures its output. */
export function runNode(
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
  input: { stdin?: string; keepStdinOpen?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [builtScript(script), ...args], {
      cwd: projectRoot,
      env: childEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Standard input is a pipe, never a terminal: given text then end of file,
    // or (keepStdinOpen) left open like a terminal nobody types into.
    // The child may exit before reading (e.g. --help): ignore a broken pipe.
    child.stdin.on('error', () => undefined);
    if (input.keepStdinOpen) child.stdin.write(input.stdin ?? '');
    else child.stdin.end(input.stdin ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningServer {
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves once the process has exited and its output is drained. */
  exited: Promise<Exit>;
  /** Resolves with the first stdout line containing `text`; rejects if the process exits first. */
  waitForOutput(text: string, timeoutMs?: number): Promise<string>;
  /** SIGKILLs the process if it is still running (for afterEach). */
  kill(): Promise<void>;
}

/**
 * Starts `node dist/src/server.js` and resolves once it logs that it listens.
 * Give PORT=0 to let the OS pick a free port; the logged address is parsed.
 */
export async function startServer(
  env: Record<string, string>,
  timeoutMs = 20_000,
  nodeFlags: string[] = [],
): Promise<RunningServer> {
  const child = spawn(process.execPath, [...nodeFlags, builtScript('server.js')], {
    cwd: projectRoot,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let hasExited = false;
  const watchers = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const watch of watchers) watch();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      hasExited = true;
      for (const watch of watchers) watch();
      resolve({ code, signal });
    });
  });

  const waitForOutput = (text: string, waitMs = timeoutMs): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(watch);
        reject(new Error(`no "${text}" within ${waitMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, waitMs);
      function watch() {
        // Only whole lines: a pipe may deliver a log line in pieces.
        const lines = stdout.split('\n');
        if (!hasExited) lines.pop();
        const line = lines.find((candidate) => candidate.includes(text));
        if (line === undefined && !hasExited) return;
        watchers.delete(watch);
        clearTimeout(timer);
        if (line !== undefined) resolve(line);
        else reject(new Error(`exited before "${text}"\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
      watchers.add(watch);
      watch();
    });

  const kill = async () => {
    if (hasExited) return;
    child.kill('SIGKILL');
    await exited;
  };

  let listening: string;
  try {
    listening = await waitForOutput('Gatehouse listening on http://');
  } catch (error) {
    await kill();
    throw error;
  }
  const match = /listening on http:\/\/[^:]+:(\d+)/.exec(listening);
  if (!match?.[1]) throw new Error(`cannot read the port from: ${listening}`);
  const port = Number(match[1]);
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput,
    kill,
  };
}

/** The `msg` of each JSON (pino) line of a log; other lines are skipped. */
export function logMessages(output: string): string[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      const parsed: unknown = JSON.parse(line);
      const msg = (parsed as { msg?: unknown }).msg;
      return typeof msg === 'string' ? [msg] : [];
    } catch {
      return [];
    }
  });
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on its own connection (no keep-alive), unless an agent is given. */
export function httpRequest(
  port: number,
  options: {
    method?: string;
    path: string;
    headers?: http.OutgoingHttpHeaders;
    agent?: http.Agent;
  },
  body?: string,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        agent: options.agent ?? false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface SeededServer {
  /** The scratch folder holding the server's SQLite file (and whatever the test puts there). */
  dir: string;
  server: RunningServer;
  /** Kills the server if it still runs and removes the folder. */
  close(): Promise<void>;
}

/**
 * A real server on a fresh SQLite file in a scratch folder, seeded with the
 * development users, cheap argon2, its own JWT secret, listening on a free
 * loopback port; `env` (given the folder) adds to or overrides that.
 */
export async function startSeededServer(
  name: string,
  env: (dir: string) => Record<string, string> = () => ({}),
): Promise<SeededServer> {
  const dir = mkdtempSync(path.join(tmpdir(), `gatehouse-${name}-`));
  const databaseEnv = {
    DATABASE_URL: `sqlite:${path.join(dir, `${name}.db`)}`,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME: '1',
  };
  const seeded = await runNode('cli/seed.js', [], databaseEnv);
  if (seeded.code !== 0) throw new Error(`seeding failed: ${seeded.stderr}`);
  const server = await startServer({
    ...databaseEnv,
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: 'a-forty-character-secret-0123456789abcde',
    LOG_LEVEL: 'info',
    ...env(dir),
  });
  return {
    dir,
    server,
    async close() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
