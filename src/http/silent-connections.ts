import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Connections that have not sent a request yet, so that the daemon's stop can drop them.
 * Node 20's server.close() waits for every connection, and closeIdleConnections() (Fastify's
 * forceCloseConnections: 'idle') closes only those that finished a request: a connection a
 * client opened and has not used yet (fetch opens a spare one) held the stop until the client
 * dropped it — 4 s for undici, and up to the headers timeout (60 s) for a silent client.
 * Nothing is lost by dropping one: a request it would send now gets a 503 while stopping.
 *
 * Over TLS a connection is counted once its handshake is done ('secureConnection'); one still
 * in its handshake is left to the server's handshake timeout.
 */
export class SilentConnections {
  private readonly silent = new Set<Socket>();
  private dropping = false;

  constructor(server: Server, tls: boolean) {
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      // One that comes while the server is closing (it stops listening a moment later) goes at once too.
      if (this.dropping) return void socket.destroy();
      this.silent.add(socket);
      socket.once('close', () => this.silent.delete(socket));
    });
    // Once a request came, the connection is the server's to close: idle between requests, or when its answer is sent.
    server.on('request', (request: IncomingMessage) => this.silent.delete(request.socket));
  }

  /** Drops every connection that has sent nothing yet, and from now on each new one. */
  drop(): void {
    this.dropping = true;
    for (const socket of this.silent) socket.destroy();
    this.silent.clear();
  }
}
