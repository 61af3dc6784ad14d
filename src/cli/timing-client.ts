import http from 'node:http';

export interface TimedAnswer {
  status: number;
  body: string;
  setCookie: string[];
  elapsedMs: number;
  /** True when the request went out on a connection an earlier request used. */
  isReusedConnection: boolean;
}

/**
 * One keep-alive connection to the server, as a browser (or an attacker) has:
 * "the request right after" a form post then travels on the same socket and
 * meets whatever the server is still doing for the post.
 */
export function createTimingClient(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  function send(
    method: 'GET' | 'POST',
    path: string,
    options: { cookie?: string; form?: Record<string, string> } = {},
  ): Promise<TimedAnswer> {
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
    const headers: http.OutgoingHttpHeaders = options.cookie ? { cookie: options.cookie } : {};
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    return new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const req = http.request(new URL(path, base), { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            setCookie: res.headers['set-cookie'] ?? [],
            elapsedMs: Number(process.hrtime.bigint() - started) / 1e6,
            isReusedConnection: req.reusedSocket,
          }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Loads a form's page, then posts `fields` with its CSRF token: the post's answer. */
  async function postForm(path: string, fields: Record<string, string>): Promise<TimedAnswer> {
    const page = await send('GET', path);
    const cookie = (page.setCookie[0] ?? '').split(';')[0] ?? '';
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    return send('POST', path, { cookie, form: { _csrf: token, ...fields } });
  }

  return { send, postForm, close: () => agent.destroy() };
}

export type TimingClient = ReturnType<typeof createTimingClient>;

export function expectStatus(answer: TimedAnswer, status: number, what: string): number {
  if (answer.status !== status)
    throw new Error(`${what}: expected ${status}, got ${answer.status}`);
  return answer.elapsedMs;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export const isWithinGoal = (ratio: number) => ratio >= 0.9 && ratio <= 1.1;

/** Prints two medians and their ratio (first / second); returns the ratio. */
export function report(
  what: string,
  first: { label: string; samples: readonly number[] },
  second: { label: string; samples: readonly number[] },
): number {
  const ratio = median(first.samples) / median(second.samples);
  const verdict = isWithinGoal(ratio) ? 'met' : 'NOT met';
  console.log(`${what}: ${first.label} median ${median(first.samples).toFixed(2)} ms`);
  console.log(`${what}: ${second.label} median ${median(second.samples).toFixed(2)} ms`);
  console.log(`${what}: ratio ${ratio.toFixed(3)} (goal 0.9–1.1: ${verdict})`);
  return ratio;
}
