import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { floodToken } from '../helpers/flood';
import { createTestApp, type TestApp } from '../helpers/test-app';

const THROTTLED = 20_000;

function listen(t: TestApp, host: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = t.app.listen(0, host, () => resolve(server));
  });
}

async function eventRows(t: TestApp) {
  return t.db
    .selectFrom('auth_events')
    .select(['type', 'user_id', 'ip', 'count'])
    .orderBy('id')
    .execute();
}

describe('refused logins are aggregated in the audit trail', () => {
  let t: TestApp;
  let server: Server | undefined;
  beforeEach(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_IP: '5/1h' } });
  });
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
    await t.close();
  });

  it(`${THROTTLED.toLocaleString('en')} throttled requests add a handful of rows, whose counts add up to every refusal`, async () => {
    server = await listen(t, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    const statuses = await floodToken(port, 0, THROTTLED + 5);
    expect(Object.fromEntries(statuses)).toEqual({ 400: 5, 429: THROTTLED });
    await t.background.drain();
    const rows = await eventRows(t);
    const throttled = rows.filter((row) => row.type === 'login_throttled');
    expect(rows.length).toBeLessThanOrEqual(5 + 3);
    expect(throttled.reduce((sum, row) => sum + Number(row.count), 0)).toBe(THROTTLED);
    expect(rows.filter((row) => row.type === 'login_failed')).toHaveLength(5);
  }, 120_000);

  it('a new window starts a new row: one row per client per 15 minutes', async () => {
    server = await listen(t, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    await floodToken(port, 0, 10);
    t.clock.advanceMinutes(16);
    // The per-IP window (1 h) is still closed; the audit window has moved on.
    await floodToken(port, 10, 10);
    await t.background.drain();
    const throttled = (await eventRows(t)).filter((row) => row.type === 'login_throttled');
    expect(throttled.map((row) => Number(row.count))).toEqual([5, 10]);
  });
});

describe('per-IP limits over a dual-stack socket (RATE_LIMIT_LOGIN_IP=3/1h)', () => {
  let t: TestApp;
  let server: Server | undefined;
  beforeEach(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_IP: '3/1h' } });
    server = await listen(t, '::');
  });
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    await t.close();
  });

  it('an IPv4 client (seen as ::ffff:127.0.0.1) is counted as 127.0.0.1, apart from ::1', async () => {
    const { port } = server?.address() as AddressInfo;
    const overIPv4 = await floodToken(port, 0, 5, { host: '127.0.0.1' });
    expect(Object.fromEntries(overIPv4)).toEqual({ 400: 3, 429: 2 });
    const overIPv6 = await floodToken(port, 100, 4, { host: '::1' });
    expect(Object.fromEntries(overIPv6)).toEqual({ 400: 3, 429: 1 });
    await t.background.drain();
    const ips = (await eventRows(t)).filter((r) => r.type === 'login_throttled').map((r) => r.ip);
    expect(ips.sort()).toEqual(['::1', '::ffff:127.0.0.1']);
  });
});

describe('per-IP limits count an IPv6 client by its /64 (TRUST_PROXY=loopback, RATE_LIMIT_LOGIN_IP=3/1h)', () => {
  let t: TestApp;
  let server: Server | undefined;
  beforeEach(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_LOGIN_IP: '3/1h', TRUST_PROXY: 'loopback' } });
    server = await listen(t, '127.0.0.1');
  });
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    await t.close();
  });

  it('new addresses inside one /64 share its budget; the next /64 has its own', async () => {
    const { port } = server?.address() as AddressInfo;
    const from = (ip: string, n: number) =>
      floodToken(port, n, 1, { headers: `X-Forwarded-For: ${ip}\r\n` });
    const answers = [];
    for (const [i, ip] of [
      '2001:db8:1:2::1',
      '2001:db8:1:2::2',
      '2001:db8:1:2:abcd::9',
      '2001:db8:1:2::ffff',
    ].entries()) {
      answers.push([...(await from(ip, i)).keys()][0]);
    }
    expect(answers).toEqual([400, 400, 400, 429]);
    expect([...(await from('2001:db8:1:3::1', 10)).keys()]).toEqual([400]);
  });
});
