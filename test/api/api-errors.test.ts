import request from 'supertest';
import { createTestApp, type TestApp } from '../helpers/test-app';

describe('JSON API errors', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('answers JSON even without an Accept header, e.g. a body too large for /token', async () => {
    const res = await request(t.app)
      .post('/token')
      .unset('Accept')
      .type('form')
      .send({ username: 'ada@example.com', password: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ error: 'too_large' });
  });

  it('still gives pages their HTML error page', async () => {
    const res = await request(t.app).get('/nowhere').set('Accept', '*/*');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });
});
