/**
 * A tiny HTTP forward proxy for tests, on loopback: CONNECT tunnels (what undici's ProxyAgent
 * uses by default, for http and https targets) and absolute-form requests (plain forwarding). It
 * records every request it carried and can demand Proxy-Authorization (Basic user:password).
 * Only loopback targets are allowed: the tests never reach anything else.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  /** 'CONNECT' for a tunnel, else the forwarded method. */
  method: string;
  /** host:port for CONNECT, the absolute URL otherwise. */
  target: string;
  /** The Proxy-Authorization header, if any (tests check it; never printed). */
  proxyAuthorization: string | undefined;
  /** Bytes the client sent through a tunnel (CONNECT), to count the requests inside it. */
  tunnelled?: Buffer[];
}

export interface ForwardProxy {
  /** http://127.0.0.1:PORT (add credentials yourself). */
  url: string;
  port: number;
  requests: ProxiedRequest[];
  /** HTTP request lines ("GET /client/v4/… HTTP/1.1") seen inside tunnels and forwarded requests. */
  requestLines(): string[];
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export async function startForwardProxy(opts: { auth?: { user: string; password: string } } = {}): Promise<ForwardProxy> {
  const requests: ProxiedRequest[] = [];
  const forwardedLines: string[] = [];
  const sockets = new Set<net.Socket>();
  const expected = opts.auth ? `Basic ${Buffer.from(`${opts.auth.user}:${opts.auth.password}`).toString('base64')}` : undefined;
  const authorized = (h: string | undefined): boolean => expected === undefined || h === expected;

  const server = http.createServer((req, res) => {
    const record: ProxiedRequest = { method: req.method ?? 'GET', target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] };
    requests.push(record);
    if (!authorized(record.proxyAuthorization)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form URL expected');
      return;
    }
    if (!isLoopback(target.hostname)) {
      res.writeHead(403).end('loopback targets only');
      return;
    }
    forwardedLines.push(`${req.method} ${target.pathname}${target.search} HTTP/1.1`);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: `${target.pathname}${target.search}`, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });

  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const record: ProxiedRequest = { method: 'CONNECT', target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'], tunnelled: [] };
    requests.push(record);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (!authorized(record.proxyAuthorization)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const m = /^(.+):(\d+)$/.exec(req.url ?? '');
    if (!m || !isLoopback(m[1] as string)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(m[2]), (m[1] as string).replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) {
        record.tunnelled?.push(head);
        upstream.write(head);
      }
      client.on('data', (chunk: Buffer) => record.tunnelled?.push(chunk));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    requestLines() {
      const inTunnels = requests
        .flatMap((r) => (r.tunnelled ? [Buffer.concat(r.tunnelled).toString('latin1')] : []))
        // Not anchored to a line start: a request follows the previous body ("{}") directly.
        .flatMap((text) => [...text.matchAll(/(?:GET|POST|PUT|PATCH|DELETE) \/\S* HTTP\/1\.1(?=\r\n)/g)].map((m) => m[0]));
      return [...forwardedLines, ...inTunnels];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
