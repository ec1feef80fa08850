/**
 * A TCP relay on a loopback port, which a test can cut and restore: servers named after the
 * relay's port reach each other through it, so cutting it partitions them while both keep
 * running (TLS passes through untouched: it is end to end).
 */
import type { Socket, TCPSocketListener } from "bun";

export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  close(): void;
}

interface Pair {
  peer?: Socket<Pair>;
  pending: Uint8Array[];
}

export function startTcpProxy(targetPort: number, port = 0): TcpProxy {
  let blocked = false;
  const open = new Set<Socket<Pair>>();
  const listener: TCPSocketListener<Pair> = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(client) {
        if (blocked) {
          client.end();
          return;
        }
        client.data = { pending: [] };
        open.add(client);
        void Bun.connect<Pair>({
          hostname: "127.0.0.1",
          port: targetPort,
          socket: {
            open(upstream) {
              upstream.data = { peer: client, pending: [] };
              client.data.peer = upstream;
              open.add(upstream);
              for (const chunk of client.data.pending) upstream.write(chunk);
              client.data.pending = [];
            },
            data(upstream, chunk) {
              upstream.data.peer?.write(chunk);
            },
            close(upstream) {
              open.delete(upstream);
              upstream.data.peer?.end();
            },
            error(upstream) {
              upstream.data?.peer?.end();
            },
          },
        }).catch(() => client.end());
      },
      data(client, chunk) {
        if (client.data.peer) client.data.peer.write(chunk);
        else client.data.pending.push(new Uint8Array(chunk));
      },
      close(client) {
        open.delete(client);
        client.data?.peer?.end();
      },
    },
  });
  return {
    port: listener.port,
    cut() {
      blocked = true;
      for (const s of open) s.terminate();
      open.clear();
    },
    restore() {
      blocked = false;
    },
    close() {
      this.cut();
      listener.stop(true);
    },
  };
}
