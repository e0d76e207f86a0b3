import { connect } from 'node:net';

/**
 * A GET on the Docker Engine API over its socket (or plain tcp://): what vethcap asks of
 * Docker is two read-only calls, and they sit on the path to "armed". Measured here:
 * - dockerode took 210-300 ms to load (it pulls in ssh2, grpc and protobufjs);
 * - Node's http client, 9-20 ms to load and 55-75 ms for its first GET;
 * - one HTTP/1.0 GET written on a node:net socket, 7 ms to load and 7-10 ms for the first
 *   answer, ~2 ms for the next (the daemon itself answers in ~2 ms).
 * HTTP/1.0 keeps the reply simple: the daemon sends the body whole and closes the socket.
 * dockerode remains for the endpoints this does not speak (TLS, ssh://): see connectDocker.
 */

/** Where the engine listens, as http.request takes it. */
export type EngineAddress = { socketPath: string } | { host: string; port: number };

/**
 * The address of a DOCKER_HOST this client speaks: unix://PATH, or tcp://HOST:PORT without
 * TLS (DOCKER_TLS_VERIFY unset, port not 2376, as docker-modem decides). Undefined for the
 * rest (TLS, ssh://, npipe): dockerode's then. Pure.
 */
export function engineAddress(endpoint: string, env: NodeJS.ProcessEnv = {}): EngineAddress | undefined {
  if (endpoint.startsWith('unix://')) {
    const socketPath = endpoint.slice('unix://'.length);
    return socketPath !== '' ? { socketPath } : undefined;
  }
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(endpoint);
  if (!tcp) return undefined;
  const port = Number(tcp[2] ?? 2375);
  const tls = (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0') || port === 2376;
  if (tls) return undefined;
  return { host: tcp[1]!.replace(/^\[|\]$/g, ''), port };
}

/** An answer from the engine: its HTTP status and its body parsed as JSON (undefined if it is not JSON). */
export interface EngineReply {
  status: number;
  body: unknown;
}

/**
 * GET `path` from the engine. Rejects with the socket's error (ENOENT, ECONNREFUSED,
 * EACCES: the caller says the daemon is unavailable), on a timeout, or on a reply that is
 * not HTTP; an HTTP error status is a reply, for the caller to read.
 */
export function engineGet(address: EngineAddress, path: string, timeoutMs = 10_000): Promise<EngineReply> {
  return new Promise((resolve, reject) => {
    const socket = 'socketPath' in address ? connect(address.socketPath) : connect(address.port, address.host);
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => socket.end(`GET ${path} HTTP/1.0\r\nHost: docker\r\nAccept: application/json\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('end', () => {
      try {
        resolve(parseReply(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** An HTTP/1.x reply read to its end: status, and the body as JSON. Pure. */
export function parseReply(bytes: Buffer): EngineReply {
  const headEnd = bytes.indexOf('\r\n\r\n');
  const head = bytes.subarray(0, headEnd < 0 ? bytes.length : headEnd).toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (headEnd < 0 || !status) throw Object.assign(new Error(`not an HTTP reply: ${JSON.stringify(head.slice(0, 60))}`), { code: 'EPROTO' });
  let body = bytes.subarray(headEnd + 4);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = dechunk(body);
  else if (length) body = body.subarray(0, Number(length[1]));
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: Number(status[1]), body: json };
}

/** A chunked body's data (a server may chunk even an HTTP/1.0 reply, though it should not). */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
