import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * `node dist/src/cli/smtp-sink.js`: a real SMTP server on loopback that
 * accepts every message and keeps none, for check:timing. Its own process,
 * so receiving mail neither slows the server being timed nor the client
 * timing it. A development tool: smtp-server is a dev dependency.
 */
const server = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  onData(stream, _session, callback) {
    stream.on('end', () => callback());
    stream.resume();
  },
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.server.address() as AddressInfo;
  console.log(`smtp sink listening on ${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
