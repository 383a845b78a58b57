import net from 'node:net';

/**
 * A TCP proxy on loopback in front of a server: the network between client and server, which
 * tests may break. Each request gets a connection of its own (the proxy asks for
 * `Connection: close`), so a rule can pick out one request and tamper with its answer.
 */

export interface SeenRequest {
  method: string;
  path: string;
  /** As the client sent them (lower-case names), before any rule removed one. */
  headers: Record<string, string>;
  /** performance.now() when the request's head arrived. */
  at: number;
  /** The answer's status code, once its head has passed. */
  status?: number;
  /** The answer's headers as the client got them. */
  responseHeaders?: Record<string, string>;
}

export interface Tamper {
  /** Close the connection without an answer. */
  refuse?: boolean;
  dropRequestHeaders?: string[];
  dropResponseHeaders?: string[];
  setResponseHeaders?: Record<string, string>;
  /** Close the connection after this many bytes of the answer's body. */
  cutAfter?: number;
  /** Flip the bits of the answer's body byte at this offset. */
  flipAt?: number;
}

export interface Proxy {
  url: string;
  requests: SeenRequest[];
  /** Decides what to do to each request (numbered from 0 in arrival order); nothing by default. */
  rule: (request: SeenRequest, index: number) => Tamper | undefined;
  close(): Promise<void>;
}

const headEnd = Buffer.from('\r\n\r\n');

function parseHead(head: string): { start: string; headers: [string, string][] } {
  const [start = '', ...lines] = head.split('\r\n');
  return { start, headers: lines.filter(Boolean).map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]) };
}

function writeHead(start: string, headers: [string, string][]): Buffer {
  return Buffer.from(`${[start, ...headers.map(([n, v]) => `${n}: ${v}`)].join('\r\n')}\r\n\r\n`);
}

/** Collects a socket's bytes until a whole HTTP head has arrived; hands on the head and what followed it. */
function onHead(socket: net.Socket, done: (head: string, rest: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf(headEnd);
    if (end < 0) return;
    socket.off('data', onData);
    socket.pause();
    done(buffered.subarray(0, end).toString('latin1'), buffered.subarray(end + headEnd.length));
  };
  socket.on('data', onData);
}

function answer(server: net.Socket, client: net.Socket, seen: SeenRequest, tamper: Tamper): void {
  onHead(server, (head, rest) => {
    const { start, headers } = parseHead(head);
    seen.status = Number(start.split(' ')[1]);
    const drop = new Set((tamper.dropResponseHeaders ?? []).map((h) => h.toLowerCase()));
    const set = Object.entries(tamper.setResponseHeaders ?? {});
    const kept = headers.filter(([n]) => !drop.has(n.toLowerCase()) && !set.some(([s]) => s.toLowerCase() === n.toLowerCase()));
    const out: [string, string][] = [...kept, ...set];
    seen.responseHeaders = Object.fromEntries(out.map(([n, v]) => [n.toLowerCase(), v]));
    client.write(writeHead(start, out));
    let sent = 0;
    const body = (chunk: Buffer) => {
      let bytes = Buffer.from(chunk);
      if (tamper.flipAt !== undefined && tamper.flipAt >= sent && tamper.flipAt < sent + bytes.length) {
        bytes[tamper.flipAt - sent] = bytes[tamper.flipAt - sent]! ^ 0xff;
      }
      if (tamper.cutAfter !== undefined && sent + bytes.length >= tamper.cutAfter) {
        bytes = bytes.subarray(0, tamper.cutAfter - sent);
        client.write(bytes, () => {
          client.destroy();
          server.destroy();
        });
        server.off('data', body);
        return;
      }
      sent += bytes.length;
      client.write(bytes);
    };
    if (rest.length > 0) body(rest);
    if (server.destroyed) return;
    server.on('data', body);
    server.resume();
  });
}

export async function startProxy(target: string): Promise<Proxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const proxy: Proxy = { url: '', requests: [], rule: () => undefined, close: async () => undefined };

  const listener = net.createServer((client) => {
    track(client);
    onHead(client, (head, rest) => {
      const { start, headers } = parseHead(head);
      const [method = '', path = ''] = start.split(' ');
      const seen: SeenRequest = { method, path, headers: Object.fromEntries(headers.map(([n, v]) => [n.toLowerCase(), v])), at: performance.now() };
      const index = proxy.requests.push(seen) - 1;
      const tamper = proxy.rule(seen, index) ?? {};
      if (tamper.refuse) {
        client.destroy();
        return;
      }
      const drop = new Set(['connection', 'keep-alive', ...(tamper.dropRequestHeaders ?? []).map((h) => h.toLowerCase())]);
      const server = net.connect(Number(port), hostname);
      track(server);
      // end, not destroy: what was written to the client must still reach it.
      server.on('close', () => client.end());
      client.on('close', () => server.destroy());
      server.write(writeHead(start, [...headers.filter(([n]) => !drop.has(n.toLowerCase())), ['Connection', 'close']]));
      if (rest.length > 0) server.write(rest);
      client.on('data', (chunk) => server.write(chunk));
      client.resume();
      answer(server, client, seen, tamper);
    });
  });
  listener.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => listener.once('listening', () => resolve()));
  const address = listener.address() as net.AddressInfo;
  proxy.url = `http://127.0.0.1:${address.port}`;
  proxy.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  };
  return proxy;
}
