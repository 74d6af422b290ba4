/**
 * The Cloudflare API simulator in its own process (its author's advice for throughput
 * benchmarks: in-process, the benchmark's own fetch would compete with it for the CPU),
 * driven through its HTTP control API (test/simulator/README.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SimStats {
  requests: number;
  rateLimited: number;
  byCredential: Record<string, { requests: number; rateLimited: number }>;
  byStatus: Record<string, number>;
  byOperation: Record<string, { requests: number; errors: number }>;
}

export interface SeededToken {
  id: string;
  accountId: string;
  name: string;
  value: string;
}

interface SimStateLite {
  accounts: { id: string }[];
  userTokens: { id: string; name: string; value: string; permissions: string[] }[];
  accountTokens: { id: string; accountId: string; name: string; value: string }[];
}

export class SimulatorProcess {
  private constructor(
    /** Undefined when attached to a simulator another process started. */
    private readonly child: ChildProcess | undefined,
    /** API base URL (…/client/v4). */
    readonly url: string,
    readonly origin: string,
  ) {}

  /** Starts `node out/test/simulator/cli.js` on a free port. */
  static async start(root: string, opts: { latencyMs: number; rateLimit?: { limit: number; windowMs: number } }): Promise<SimulatorProcess> {
    const cli = path.join(root, 'out', 'test', 'simulator', 'cli.js');
    if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run npx tsc -p . first`);
    const args = [cli, '--port', '0', '--latency', String(opts.latencyMs), '--quiet'];
    if (opts.rateLimit) args.push('--rate-limit', `${opts.rateLimit.limit}/${opts.rateLimit.windowMs / 1000}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`simulator did not start: ${out}`)), 15_000);
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /API base URL\s*:\s*(\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`simulator exited (${code}): ${out}`));
      });
    });
    return new SimulatorProcess(child, url, new URL(url).origin);
  }

  /** A simulator another process started (its API base URL): stop() leaves it running. */
  static attach(url: string): SimulatorProcess {
    return new SimulatorProcess(undefined, url, new URL(url).origin);
  }

  private async control<T>(method: string, p: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.origin}/__sim/${p}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`simulator ${method} /__sim/${p}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  /** Fresh demo state, zeroed stats and rate-limit windows, the start options' latency and limit. */
  async reset(): Promise<void> {
    await this.control('POST', 'reset', { scenario: 'demo' });
  }

  async configure(cfg: { latencyMs?: number; rateLimit?: { limit: number; windowMs: number } }): Promise<void> {
    await this.control('POST', 'config', cfg);
  }

  /** The demo admin token (every permission) and the demo account. */
  async admin(): Promise<{ token: string; accountId: string }> {
    const st = await this.control<SimStateLite>('GET', 'state');
    const admin = st.userTokens.find((t) => t.permissions.includes('Account API Tokens Write'));
    const account = st.accounts[0];
    if (!admin || !account) throw new Error('the demo scenario has no admin token or account');
    return { token: admin.value, accountId: account.id };
  }

  async seedAccountTokens(accountId: string, count: number, prefix = 'bench'): Promise<SeededToken[]> {
    const accountTokens = Array.from({ length: count }, (_, i) => ({ accountId, name: `${prefix} ${i + 1}`, permissions: [] as string[] }));
    const r = await this.control<{ accountTokens: SeededToken[] }>('POST', 'seed', { accountTokens });
    return r.accountTokens.map((t) => ({ id: t.id, accountId: t.accountId, name: t.name, value: t.value }));
  }

  /** Live secrets of account tokens by id. */
  async accountTokenValues(): Promise<Map<string, string>> {
    const st = await this.control<SimStateLite>('GET', 'state');
    return new Map(st.accountTokens.map((t) => [t.id, t.value]));
  }

  stats(): Promise<SimStats> {
    return this.control<SimStats>('GET', 'stats');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
