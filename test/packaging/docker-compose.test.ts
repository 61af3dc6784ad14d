import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';

/**
 * No Docker engine runs where these tests run, so `docker compose up` cannot
 * be tried here: this checks that docker-compose.yml says what the deployment
 * relies on. No YAML library is a dependency, so the file is read by a strict
 * reader for the plain block subset it is written in (mappings, lists of
 * scalars, quoted or plain scalars), which refuses anything else rather than
 * misread it.
 */
const root = path.join(__dirname, '..', '..');
const text = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };
interface Line {
  number: number;
  indent: number;
  body: string;
}

function parseBlockYaml(source: string): Yaml {
  const lines: Line[] = source.split('\n').flatMap((raw, index) => {
    const body = raw.trimStart();
    if (body === '' || body.startsWith('#')) return [];
    if (raw.includes('\t')) fail({ number: index + 1, indent: 0, body }, 'tab');
    return [{ number: index + 1, indent: raw.length - body.length, body: body.trimEnd() }];
  });
  let at = 0;
  function fail(line: Line, why: string): never {
    throw new Error(`docker-compose.yml line ${line.number}: ${why}: ${line.body}`);
  }
  function scalar(value: string, line: Line): Yaml {
    if (value.startsWith("'")) {
      const inner = value.slice(1, -1);
      if (!value.endsWith("'") || value.length < 2 || /(^|[^'])'([^']|$)/.test(inner)) {
        fail(line, 'bad single-quoted scalar');
      }
      return inner.replace(/''/g, "'");
    }
    if (value.startsWith('"')) {
      try {
        return JSON.parse(value) as string;
      } catch {
        return fail(line, 'double-quoted scalar outside the JSON subset');
      }
    }
    if (/^[[\]{}&*!|>%@`]/.test(value) || / #|: /.test(value)) fail(line, 'unsupported YAML');
    if (/^-?\d+$/.test(value)) return Number(value);
    if (value === 'true' || value === 'false') return value === 'true';
    return value === 'null' || value === '~' ? null : value;
  }
  function block(indent: number): Yaml {
    return lines[at]?.body.startsWith('- ') ? list(indent) : mapping(indent);
  }
  function list(indent: number): Yaml[] {
    const items: Yaml[] = [];
    for (let line = lines[at]; line && line.indent >= indent; line = lines[at]) {
      if (line.indent > indent || !line.body.startsWith('- ')) fail(line, 'expected "- item"');
      items.push(scalar(line.body.slice(2), line));
      at += 1;
    }
    return items;
  }
  function mapping(indent: number): { [key: string]: Yaml } {
    const entries: { [key: string]: Yaml } = {};
    for (let line = lines[at]; line && line.indent >= indent; line = lines[at]) {
      const match = /^([A-Za-z0-9_.-]+):(?: (.+))?$/.exec(line.body);
      if (line.indent > indent || !match?.[1]) fail(line, 'expected "key: value"');
      if (match[1] in entries) fail(line, 'duplicate key');
      at += 1;
      const next = lines[at];
      if (match[2] !== undefined) entries[match[1]] = scalar(match[2], line);
      else entries[match[1]] = next && next.indent > indent ? block(next.indent) : null;
    }
    return entries;
  }
  const document = mapping(0);
  if (at < lines.length) fail(lines[at] as Line, 'unexpected indentation');
  return document;
}

type Mapping = { [key: string]: Yaml };
function asMapping(value: Yaml | undefined): Mapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`expected a mapping, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME:?error} (the file uses no $$). */
function interpolate(value: string, variables: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?::([?-])([^}]*))?\}/g,
    (_, name: string, op?: string, arg?: string) => {
      const given = variables[name];
      if (given !== undefined) return given;
      if (op === '-') return arg ?? '';
      throw new Error(`${name} is required: ${arg ?? ''}`);
    },
  );
}

/** Every string in the document, keys included. */
function allStrings(value: Yaml): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => [key, ...allStrings(item)]);
}

const compose = asMapping(parseBlockYaml(text));
const services = asMapping(compose.services);
const app = asMapping(services.app);
const postgres = asMapping(services.postgres);
const redis = asMapping(services.redis);
const appEnv = asMapping(app.environment);
const SECRETS = { JWT_SECRET: 'j'.repeat(48), POSTGRES_PASSWORD: '0123456789abcdef' };
const envWith = (variables: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(appEnv).map(([name, value]) => [name, interpolate(String(value), variables)]),
  );

describe('docker-compose.yml', () => {
  it('runs exactly the app, Postgres and Redis', () => {
    expect(Object.keys(services).sort()).toEqual(['app', 'postgres', 'redis']);
  });

  it('builds the app from the Dockerfile and pins Postgres to 16 and Redis to 7', () => {
    expect(app.build).toBe('.');
    expect(existsSync(path.join(root, 'Dockerfile'))).toBe(true);
    expect(postgres.image).toMatch(/^postgres:16(-[a-z0-9.]+)?$/);
    expect(redis.image).toMatch(/^redis:7(-[a-z0-9.]+)?$/);
  });

  it('gives the app only variables src/config.ts reads, making a valid production config', () => {
    for (const name of Object.keys(appEnv)) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig(envWith(SECRETS));
    expect(config.isProduction).toBe(true);
    expect(config.cookieSecure).toBe(true);
    expect(config.jwtSecret).toBe(SECRETS.JWT_SECRET);
    expect(config.redisUrl).toBe('redis://redis:6379');
    // The app reaches the other services by their service names, as the right user and database.
    if (config.database.kind !== 'postgres') throw new Error('DATABASE_URL is not Postgres');
    const url = new URL(config.database.connectionString);
    const pgEnv = asMapping(postgres.environment);
    expect([url.hostname, url.port, url.username]).toEqual([
      'postgres',
      '5432',
      pgEnv.POSTGRES_USER,
    ]);
    expect(url.pathname).toBe(`/${String(pgEnv.POSTGRES_DB)}`);
    expect(url.password).toBe(SECRETS.POSTGRES_PASSWORD);
  });

  it('refuses to start without JWT_SECRET or POSTGRES_PASSWORD instead of using a default', () => {
    expect(() => envWith({ POSTGRES_PASSWORD: 'x' })).toThrow(/JWT_SECRET is required/);
    expect(() => envWith({ JWT_SECRET: 'x' })).toThrow(/POSTGRES_PASSWORD is required/);
  });

  it('starts the app once Postgres and Redis are healthy, and checks the app on /healthz', () => {
    expect(app.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    const [postgresCheck, redisCheck, appCheck] = [postgres, redis, app].map(
      (service) => asMapping(service.healthcheck).test,
    );
    expect(postgresCheck).toEqual(['CMD', 'pg_isready', '-U', 'gatehouse', '-d', 'gatehouse']);
    expect(redisCheck).toEqual(['CMD', 'redis-cli', 'ping']);
    // Exec form (no shell in the way) against the port the app listens on in
    // its container: the image's PORT, which the compose file leaves alone.
    expect(readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toMatch(/\bPORT=3000\b/);
    expect(appEnv.PORT).toBeUndefined();
    expect(app.ports).toEqual(['3000:3000']);
    expect(Array.isArray(appCheck) && appCheck.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(String(Array.isArray(appCheck) && appCheck[3])).toContain(
      "'http://127.0.0.1:3000/healthz'",
    );
  });

  it('keeps Postgres data in a named volume and gives Redis no persistence', () => {
    expect(compose.volumes).toEqual({ 'postgres-data': null });
    expect(postgres.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(redis.volumes).toBeUndefined();
    expect(redis.command).toEqual([
      'redis-server',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory',
      '64mb',
      '--maxmemory-policy',
      'volatile-lru',
    ]);
  });

  it("bounds what a flood can store: the app's log is rotated, Redis has a memory cap", () => {
    expect(app.logging).toEqual({
      driver: 'json-file',
      options: { 'max-size': '10m', 'max-file': '3' },
    });
  });

  it('commits no secret: secret variables are required from the environment, never literal', () => {
    for (const service of [app, postgres]) {
      for (const [name, value] of Object.entries(asMapping(service.environment))) {
        if (/SECRET|PASSWORD|TOKEN|KEY/.test(name)) {
          expect(value).toMatch(new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`));
        }
      }
    }
    expect(appEnv.DATABASE_URL).toContain(':${POSTGRES_PASSWORD:?');
    // Compose reads an .env file beside it: it must stay out of git and the image.
    for (const ignore of ['.gitignore', '.dockerignore']) {
      expect(readFileSync(path.join(root, ignore), 'utf8').split('\n')).toContain('.env');
    }
    // Every $ in a value starts an interpolation (a stray one would be read as
    // a variable), and no token-like run (mixed case and digits, 24+
    // characters) sits outside one.
    const values = allStrings(compose).map((value) =>
      value.replace(/\$\{\w+(:[?-][^}]*)?\}/g, ' '),
    );
    expect(values.filter((value) => value.includes('$'))).toEqual([]);
    const tokens = values.flatMap((value) => value.match(/[A-Za-z0-9+/=_-]{24,}/g) ?? []);
    expect(
      tokens.filter((token) => /\d/.test(token) && /[a-z]/.test(token) && /[A-Z]/.test(token)),
    ).toEqual([]);
  });
});
