/**
 * The CLI's proxy transport: undici's EnvHttpProxyAgent under the client's HttpTransport port.
 * Built into its own bundle (dist/proxy.js) and loaded by ./proxyEnv only when a proxy applies,
 * so dist/cli.js holds no undici. The only module allowed to import undici (eslint.config.mjs).
 * Only type imports from the core: a value import would put a second copy of the core (and of its
 * secret registry) into dist/proxy.js.
 */
import { EnvHttpProxyAgent, request } from 'undici';
import type { HttpRequest, HttpResponse, HttpTransport } from '../core/cloudflare/transport';
import type { ProxySettings } from './proxyEnv';

/** A proxy that answers CONNECT with anything but 200: nothing reached Cloudflare. */
class ProxyTunnelError extends Error {
  readonly code: string;
  constructor(message: string, status: string, cause: unknown) {
    super(message, { cause });
    this.name = 'ProxyTunnelError';
    this.code = `proxy answered ${status} to CONNECT`;
  }
}

/**
 * Reads an answer's body within the size cap: the caller's own reader (src/core/cloudflare/transport.ts
 * readBodyCapped), so its error is the one the caller's bundle classifies and there is one cap loop.
 */
export interface BodyCap {
  read(declared: number, chunks: AsyncIterable<Uint8Array>, cancel: () => void): Promise<string>;
}

export function createProxyTransport(s: Pick<ProxySettings, 'httpProxy' | 'httpsProxy' | 'noProxy'>, cap: BodyCap): HttpTransport {
  // The values are passed explicitly ('' = unset), so the agent never reads process.env itself.
  const dispatcher = new EnvHttpProxyAgent({ httpProxy: s.httpProxy, httpsProxy: s.httpsProxy, noProxy: s.noProxy });
  return {
    async send(req: HttpRequest): Promise<HttpResponse> {
      let res;
      try {
        // undici's request() never follows redirects: credentials stay on the API host.
        res = await request(req.url, { method: req.method, headers: req.headers, body: req.body, signal: req.signal, dispatcher });
      } catch (e) {
        const m = e instanceof Error ? /Proxy response \((\d+)\) !== 200/.exec(e.message) : null;
        if (m) throw new ProxyTunnelError(`The proxy refused the tunnel to ${new URL(req.url).host} (HTTP ${m[1]}).`, m[1] as string, e);
        throw e;
      }
      // At most the cap, as the transport without a proxy reads: memory stays bounded whatever answers.
      const body = res.body;
      const text = await cap.read(Number(res.headers['content-length']), body, () => body.destroy());
      const headers = res.headers;
      return {
        status: res.statusCode,
        headers: {
          get(name: string): string | null {
            const v = headers[name.toLowerCase()];
            if (v === undefined) return null;
            return Array.isArray(v) ? v.join(', ') : v;
          },
        },
        text,
      };
    },
  };
}
