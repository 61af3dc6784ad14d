import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { createRequestLog } from '../../src/http/request-log';

/** An app with the request log in front, and the lines it writes. */
function appWithLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const app = express();
  app.use(createRequestLog(pino({ base: undefined }, sink)));
  app.get('/page', (_req, res) => {
    res.send('ok');
  });
  app.get('/mine', (_req, res) => {
    res.locals.user = { id: 42 } as NonNullable<typeof res.locals.user>;
    res.send('yours');
  });
  app.get('/never-answers', () => {
    // Leaves the request open until the client gives up.
  });
  app.get('/fails-midway', (_req, res) => {
    const failure = Object.assign(new Error('the connection failed'), { token: 'tok-secret' });
    res.emit('error', failure);
    res.status(500).send('sorry');
  });
  app.get('/broken', (_req, res) => {
    res.status(500).send('sorry');
  });
  return { app, lines };
}

/** Lines are written when the response ends: give the stream its turn. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the request log', () => {
  it('writes one line per request: its id (as sent in X-Request-Id), method, path without the query, status and time', async () => {
    const { app, lines } = appWithLog();
    const res = await request(app).get('/page?token=secret').expect(200);
    await settle();
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      req: { id: res.headers['x-request-id'], method: 'GET', url: '/page' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      msg: 'request completed',
    });
    expect(JSON.stringify(line)).not.toContain('secret');
  });

  it('names the signed-in user by id', async () => {
    const { app, lines } = appWithLog();
    await request(app).get('/mine').expect(200);
    await settle();
    expect(lines[0]).toMatchObject({ userId: 42, msg: 'request completed' });
  });

  it('marks a 5xx answer as errored, with an error to search for', async () => {
    const { app, lines } = appWithLog();
    await request(app).get('/broken').expect(500);
    await settle();
    expect(lines[0]).toMatchObject({
      res: { statusCode: 500 },
      err: { message: 'failed with status code 500' },
      msg: 'request errored',
    });
  });

  it('logs an error the response emitted by name and message only, never its other fields', async () => {
    const { app, lines } = appWithLog();
    await request(app).get('/fails-midway').expect(500);
    await settle();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      res: { statusCode: 500 },
      err: { type: 'Error', message: 'the connection failed' },
      msg: 'request errored',
    });
    expect(JSON.stringify(lines[0])).not.toContain('tok-secret');
  });

  it('writes one line for a request the client gave up on, marked aborted', async () => {
    const { app, lines } = appWithLog();
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const arrived = new Promise((resolve) => server.once('request', resolve));
    const socket = net.connect(port, '127.0.0.1');
    socket.write('GET /never-answers HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await arrived;
    socket.destroy();
    for (let waited = 0; lines.length === 0 && waited < 5000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await new Promise((resolve) => server.close(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      req: { method: 'GET', url: '/never-answers' },
      res: { statusCode: null },
      msg: 'request aborted',
    });
  });
});
