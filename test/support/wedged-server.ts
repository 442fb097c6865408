/**
 * An endpoint that accepts every connection and never answers: what a wedged proxy or emulator, or
 * a route that swallows the answers, looks like to a client. No request may wait on it for ever.
 */
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface WedgedServer {
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  /**
   * When the first connection was accepted (`performance.now()`), undefined before: a bound
   * measured from there leaves out what starting the client took, which a loaded machine stretches.
   */
  firstConnectedAt(): number | undefined;
  close(): Promise<void>;
}

export async function startWedgedServer(): Promise<WedgedServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let firstAt: number | undefined;
  const server = createServer((socket) => {
    accepted += 1;
    firstAt ??= performance.now();
    sockets.add(socket);
    // Read and drop whatever comes; answer nothing.
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    firstConnectedAt: () => firstAt,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
