import net from 'node:net';

const CONNECTIONS = 4;
const BATCH = 50;

/**
 * Sends `count` /token attempts, each with a new e-mail, pipelined in batches
 * over a few kept-alive sockets (an HTTP client per request would cost the
 * test more CPU than the server). `headers` are extra header lines, each
 * ending in CRLF. Returns how many answers had each status.
 */
export async function floodToken(
  port: number,
  from: number,
  count: number,
  options: { host?: string; headers?: string } = {},
): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = from;
  const end = from + count;
  const connection = () =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, options.host ?? '127.0.0.1');
      let expected = 0;
      let buffered = '';
      const sendBatch = () => {
        const batch: string[] = [];
        while (batch.length < BATCH && next < end) {
          const n = next++;
          const body = `grant_type=password&username=stranger${n}%40example.com&password=guess${n}`;
          batch.push(
            `POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n${options.headers ?? ''}\r\n${body}`,
          );
        }
        if (batch.length === 0) return socket.end();
        expected = batch.length;
        socket.write(batch.join(''));
      };
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        buffered += chunk;
        // Each answer: a head ending in a blank line, then Content-Length bytes.
        for (;;) {
          const headEnd = buffered.indexOf('\r\n\r\n');
          if (headEnd < 0) break;
          const head = buffered.slice(0, headEnd);
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (buffered.length < headEnd + 4 + length) break;
          const status = Number(head.slice(9, 12));
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          buffered = buffered.slice(headEnd + 4 + length);
          expected -= 1;
        }
        if (expected === 0) sendBatch();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve());
      sendBatch();
    });
  await Promise.all(Array.from({ length: CONNECTIONS }, connection));
  return statuses;
}
