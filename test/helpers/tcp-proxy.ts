/**
 * A TCP proxy owned by a test, to simulate a SILENT network partition between a client (e.g. a
 * controller) and a server (e.g. ZooKeeper).
 *
 * blackhole(): every existing and every new connection silently drops all bytes in both
 * directions. No socket is closed or reset: no FIN, no RST reaches either side, not even when the
 * other side closes or resets its own connection (those vanish too). The proxy keeps READING and
 * discarding, so the kernels keep acking and neither side sees back-pressure; exactly like packets
 * lost in the network. Connections accepted while blackholed are never connected upstream.
 *
 * heal(): new connections forward again. Connections that were blackholed stay dead (the bytes
 * they lost make their streams unusable anyway) until their owner gives up on them.
 *
 * close(): destroys every socket and the listener.
 */
import * as net from 'net';

export interface TcpProxy {
  port: number;
  blackhole(): void;
  heal(): void;
  close(): Promise<void>;
  /** Client connections currently open on the proxy (including dead ones). */
  connections(): number;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket | undefined;
  /** true once blackholed: drop everything, propagate nothing, forever. */
  dead: boolean;
}

export async function startProxy(
  target: { host: string; port: number },
  opts: { listenPort?: number } = {},
): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let blackholed = false;
  let closed = false;

  const kill = (pair: Pair): void => {
    pair.dead = true;
    // Keep reading and discarding in both directions; undo any back-pressure pause.
    pair.client.resume();
    pair.upstream?.resume();
  };

  const destroyPair = (pair: Pair): void => {
    pair.client.destroy();
    pair.upstream?.destroy();
    pairs.delete(pair);
  };

  /** Wire from -> to for a live pair; when dead, data is discarded and ends/errors are hidden. */
  const pipe = (pair: Pair, from: net.Socket, to: () => net.Socket | undefined): void => {
    from.on('data', (chunk: Buffer) => {
      if (pair.dead) return;
      const dst = to();
      if (dst === undefined || dst.destroyed) return;
      if (!dst.write(chunk)) {
        from.pause();
        dst.once('drain', () => {
          if (!pair.dead) from.resume();
        });
      }
    });
    from.on('end', () => {
      if (pair.dead) return; // a FIN into the void
      to()?.end();
    });
    from.on('error', () => {
      /* handled by 'close' */
    });
    from.on('close', () => {
      // Dead: the other side must not learn of it; close() destroys what is left.
      if (pair.dead) return;
      destroyPair(pair);
    });
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    if (closed) {
      client.destroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined, dead: false };
    pairs.add(pair);
    client.setNoDelay(true);
    if (blackholed) {
      // Accepted, but nothing ever flows and nothing is ever connected upstream.
      kill(pair);
      pipe(pair, client, () => undefined);
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    pipe(pair, client, () => pair.upstream);
    pipe(pair, upstream, () => pair.client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listenPort ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('proxy: unexpected listen address');

  return {
    port: addr.port,
    blackhole(): void {
      blackholed = true;
      for (const pair of pairs) kill(pair);
    },
    heal(): void {
      blackholed = false;
    },
    connections(): number {
      let n = 0;
      for (const pair of pairs) if (!pair.client.destroyed) n++;
      return n;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const pair of [...pairs]) destroyPair(pair);
      await done;
    },
  };
}
