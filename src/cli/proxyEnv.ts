/**
 * Proxies for the CLI: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (the lower-case forms win, as curl and
 * undici read them). This file decides, without undici, whether a proxy applies to the Cloudflare
 * API host; only then does it load ./proxy (dist/proxy.js: undici's EnvHttpProxyAgent), so the
 * CLI starts and weighs the same when no proxy is set. The decision mirrors EnvHttpProxyAgent's,
 * and the agent gets the same three values, so what the CLI announces is what it does.
 */
import { CfRotateError } from '../core/errors';
import { MAX_RESPONSE_BYTES, readBodyCapped, type HttpTransport } from '../core/cloudflare/transport';
import { registerSecret } from '../core/redact';
import type * as ProxyModule from './proxy';

/** The proxy environment as EnvHttpProxyAgent reads it; '' when unset. */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
  /** Which variable each value came from, for messages. */
  from: { httpProxy?: string; httpsProxy?: string; noProxy?: string };
}

function pick(env: NodeJS.ProcessEnv, lower: string, upper: string): { value: string; name?: string } {
  // `??`, not `||`: a lower-case variable set to '' wins over the upper-case one, as in undici.
  if (env[lower] !== undefined) return { value: env[lower] as string, name: lower };
  if (env[upper] !== undefined) return { value: env[upper] as string, name: upper };
  return { value: '' };
}

/** The proxy settings of `env`, or undefined when neither HTTP_PROXY nor HTTPS_PROXY is set. */
export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings | undefined {
  const http = pick(env, 'http_proxy', 'HTTP_PROXY');
  const https = pick(env, 'https_proxy', 'HTTPS_PROXY');
  const no = pick(env, 'no_proxy', 'NO_PROXY');
  if (!http.value && !https.value) return undefined;
  const from: ProxySettings['from'] = {};
  if (http.value && http.name) from.httpProxy = http.name;
  if (https.value && https.name) from.httpsProxy = https.name;
  if (no.value && no.name) from.noProxy = no.name;
  return { httpProxy: http.value, httpsProxy: https.value, noProxy: no.value, from };
}

/** A proxy URL for messages: scheme, host and port; never the user name or password. */
export function displayProxy(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(not a valid URL)';
  }
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** Does NO_PROXY exclude this URL? Same rules as undici's EnvHttpProxyAgent. */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const entries = noProxy
    .split(/[,\s]/)
    .filter((e) => e.length > 0)
    .map((e) => {
      const m = /^(.+):(\d+)$/.exec(e);
      return { host: (m ? (m[1] as string) : e).replace(/^\*?\./, '').toLowerCase(), port: m ? Number.parseInt(m[2] as string, 10) : 0 };
    });
  if (entries.length === 0) return false;
  if (noProxy === '*') return true;
  const host = target.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(target.port, 10) || DEFAULT_PORTS[target.protocol] || 0;
  return entries.some((e) => (!e.port || e.port === port) && (host === e.host || host.endsWith(`.${e.host}`)));
}

/** The proxy (and the variable it came from) that requests to `target` go through, if any. */
export function proxyFor(target: URL, s: ProxySettings): { url: string; variable: string } | undefined {
  if (bypassesProxy(target, s.noProxy)) return undefined;
  if (target.protocol === 'https:' && s.httpsProxy) return { url: s.httpsProxy, variable: s.from.httpsProxy ?? 'HTTPS_PROXY' };
  if (s.httpProxy) return { url: s.httpProxy, variable: s.from.httpProxy ?? 'HTTP_PROXY' };
  return undefined;
}

function checkProxyUrl(value: string, variable: string): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    // The value is not echoed: it may hold a password.
    throw new CfRotateError('config', `${variable} is set but is not a valid proxy URL; nothing was sent to Cloudflare and nothing was changed.`, {
      hint: `Set ${variable} to a URL such as http://proxy.example:3128 (or http://user:password@proxy.example:3128), or unset it.`,
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CfRotateError('config', `${variable} uses the scheme "${u.protocol}", which cf-rotate does not support; nothing was sent to Cloudflare and nothing was changed.`, {
      hint: `Use an http:// or https:// proxy URL in ${variable}.`,
    });
  }
  registerSecret(u.password);
  registerSecret(decodeURIComponent(u.password));
}

function loadProxyModule(): typeof ProxyModule {
  // A plain require of the sibling bundle (esbuild leaves it external: dist/proxy.js; tsc: out/src/cli/proxy.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./proxy') as typeof ProxyModule;
}

/**
 * The transport for requests to `apiBase` when the environment names a proxy for it; undefined
 * otherwise (the client's default: Node's fetch, direct). Says on `say` (stderr) which proxy is
 * used, or that NO_PROXY bypasses it; never a proxy's user name or password.
 */
export function proxyTransportFromEnv(env: NodeJS.ProcessEnv, apiBase: string, say: (line: string) => void): HttpTransport | undefined {
  const s = proxySettings(env);
  if (!s) return undefined;
  if (s.httpProxy) checkProxyUrl(s.httpProxy, s.from.httpProxy ?? 'HTTP_PROXY');
  if (s.httpsProxy) checkProxyUrl(s.httpsProxy, s.from.httpsProxy ?? 'HTTPS_PROXY');
  const target = new URL(apiBase);
  const via = proxyFor(target, s);
  if (!via) {
    const set = [s.from.httpsProxy, s.from.httpProxy].filter(Boolean).join(' and ');
    say(
      bypassesProxy(target, s.noProxy)
        ? `cf-rotate: ${set} set, but ${s.from.noProxy ?? 'NO_PROXY'} excludes ${target.host}: connecting directly.\n`
        : `cf-rotate: ${set} set, but not for ${target.protocol.replace(':', '')} URLs: connecting to ${target.host} directly.\n`,
    );
    return undefined;
  }
  say(`cf-rotate: using proxy ${displayProxy(via.url)} (${via.variable}) for ${target.host}.\n`);
  return loadProxyModule().createProxyTransport(s, { read: (declared, chunks, cancel) => readBodyCapped(declared, chunks, cancel, MAX_RESPONSE_BYTES) });
}
