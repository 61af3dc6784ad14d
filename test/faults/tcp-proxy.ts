import net from 'node:net';

/**
 * A TCP relay between the app and a real server that a test can break the
 * way networks and restarts break: cut (every connection reset, nothing
 * listening — a server restarting), black-hole (connections accepted but
 * never answered — a partition, a dead host) and restore. The real server is
 * shared with other test runs, so it is never touched itself.
 */
export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private mode: 'forward' | 'black-hole' = 'forward';
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Listens (on a free port the first time, on the same port after a cut). */
  async start(): Promise<void> {
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
  }

  /** The server went away: every connection reset, nothing listening. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Connections are accepted and then silence: no byte ever comes back. */
  blackHole(): void {
    this.mode = 'black-hole';
    this.dropConnections();
  }

  /** Back to relaying, listening again if cut. */
  async restore(): Promise<void> {
    this.mode = 'forward';
    if (!this.server) await this.start();
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private dropConnections(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  private accept(client: net.Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (this.mode === 'black-hole') return;
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  }
}
