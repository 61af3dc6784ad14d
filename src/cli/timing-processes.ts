import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface RunningProcess {
  stop(): Promise<void>;
}

/**
 * Starts `node dist/src/<script>` and resolves with the first match of
 * `ready` in its standard output. With `isTerminal`, it runs under script(1),
 * so its standard output is a terminal: a developer's `npm start`, with
 * pino-pretty's colored lines written synchronously to the terminal.
 */
function startNode(
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  isTerminal = false,
): Promise<{ match: string } & RunningProcess> {
  const entry = path.join(__dirname, '..', script);
  const fullEnv = { PATH: process.env.PATH ?? '', ...env };
  const child: ChildProcess = isTerminal
    ? // The server's standard error shares the terminal; script's own (a
      // "Session terminated" notice when it is stopped) is dropped.
      spawn('script', ['-qfec', `exec "${process.execPath}" "${entry}"`, '/dev/null'], {
        env: { ...fullEnv, TERM: process.env.TERM ?? 'xterm-256color' },
        stdio: ['ignore', 'pipe', 'ignore'],
      })
    : spawn(process.execPath, [entry], { env: fullEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: string) => {
      // eslint-disable-next-line no-control-regex
      output += chunk.replace(/\x1b\[[0-9;]*m/g, '');
      const match = ready.exec(output)?.[1];
      if (match === undefined) return;
      // Keep reading (and dropping) its output, so a full pipe never blocks it.
      child.stdout?.off('data', onData).resume();
      resolve({
        match,
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}):\n${output}`)));
  });
}

/**
 * The server as its own process: one in this process would share its event
 * loop with the timing client, so work done after an answer would be counted
 * as if it delayed it.
 */
export async function startServer(
  env: Record<string, string>,
  options: { isTerminal?: boolean } = {},
): Promise<{ base: string } & RunningProcess> {
  const { match, stop } = await startNode(
    'server.js',
    env,
    /listening on http:\/\/[^:]+:(\d+)/,
    options.isTerminal,
  );
  return { base: `http://127.0.0.1:${match}`, stop };
}

/** A local SMTP server (smtp-sink.ts) that accepts and drops every message. */
export async function startSmtpSink(): Promise<{ url: string } & RunningProcess> {
  const { match, stop } = await startNode('cli/smtp-sink.js', {}, /listening on (\d+)/);
  return { url: `smtp://127.0.0.1:${match}`, stop };
}

/** Whether script(1) is here to give the development server a terminal. */
export function hasScriptCommand(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}
