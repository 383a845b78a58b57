import net from 'node:net';

/** One answer as it came off the socket, for requests that fetch refuses to send. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
  /** Everything the server wrote before it closed the connection. */
  raw: string;
}

export function parseAnswer(raw: string): RawAnswer {
  const end = raw.indexOf('\r\n\r\n');
  if (!raw.startsWith('HTTP/1.1 ') || end < 0) throw new Error(`Not an HTTP answer: ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get('content-length') ?? raw.length);
  const text = Buffer.from(raw.slice(end + 4), 'latin1').subarray(0, length).toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text is the body
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, text, body, raw };
}

/** A connection to `serverUrl` that collects what the server writes until it closes. */
export function rawConnection(serverUrl: string): { socket: net.Socket; closed: Promise<string> } {
  const { hostname, port } = new URL(serverUrl);
  const socket = net.connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<string>((resolve) => {
    // A reset after the answer is how a server drops a connection it will not read further.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
  return { socket, closed };
}

/** Writes `bytes` as they are and reads the one answer; the server is expected to close. */
export async function rawRequest(serverUrl: string, bytes: string | Buffer): Promise<RawAnswer> {
  const { socket, closed } = rawConnection(serverUrl);
  socket.write(bytes);
  return parseAnswer(await closed);
}
