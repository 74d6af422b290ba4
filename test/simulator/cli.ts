/**
 * Runs the Cloudflare API simulator until SIGINT / SIGTERM.
 *   node out/test/simulator/cli.js --port 8787 [--scenario demo|empty|path.json] [--latency 80] [--rate-limit 1200/300]
 *     [--removed-route 404|405|400] [--moq-revocation-delay ms] [--quiet]
 */
import { DEMO, DEFAULT_RATE_LIMIT, start } from './index';
import type { RateLimitConfig, SimulatorOptions } from './index';

const HELP = `cf-rotate Cloudflare API simulator

Usage: node out/test/simulator/cli.js [options]

  --port <n>              port to listen on (default 8787; 0 = random)
  --host <addr>           interface (default 127.0.0.1)
  --scenario <s>          demo (default), empty, or a path to a scenario JSON file
  --latency <ms>          latency added to every API answer (default 0)
  --rate-limit <n>/<sec>  requests per user per window (default 1200/300)
  --removed-route <code>  status of the removed MoQ rotate route: 404 (default), 405 or 400
  --moq-revocation-delay <ms>  a deleted MoQ token stays accepted this long (default 0)
  --quiet                 do not log requests
  -h, --help              this help

API base URL: http://<host>:<port>/client/v4; control endpoints under /__sim (see test/simulator/README.md).`;

function fail(msg: string): never {
  process.stderr.write(`simulator: ${msg}\n\n${HELP}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): SimulatorOptions {
  const opts: SimulatorOptions = { port: 8787, scenario: 'demo', quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes('=') ? (arg.split(/=(.*)/s) as [string, string]) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    const num = (v: string): number => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) fail(`${flag}: not a number: ${v}`);
      return n;
    };
    switch (flag) {
      case '-h':
      case '--help':
        process.stdout.write(`${HELP}\n`);
        return process.exit(0);
      case '--port':
        opts.port = num(value());
        break;
      case '--host':
        opts.host = value();
        break;
      case '--scenario':
        opts.scenario = value();
        break;
      case '--latency':
        opts.latencyMs = num(value());
        break;
      case '--rate-limit': {
        const m = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value());
        if (m === null) fail('--rate-limit expects <requests>/<seconds>, e.g. 1200/300');
        const rl: RateLimitConfig = { limit: Number(m[1]), windowMs: Number(m[2]) * 1000 };
        opts.rateLimit = rl;
        break;
      }
      case '--removed-route': {
        const v = Number(value());
        if (v !== 404 && v !== 405 && v !== 400) fail('--removed-route expects 404, 405 or 400');
        opts.removedRouteStatus = v;
        break;
      }
      case '--moq-revocation-delay':
        opts.moqRevocationDelayMs = num(value());
        break;
      case '--quiet':
        opts.quiet = true;
        break;
      default:
        fail(`unknown option ${arg}`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const sim = await start(opts);
  const state = sim.control.state();
  const rl = opts.rateLimit ?? DEFAULT_RATE_LIMIT;
  const lines = [
    'cf-rotate Cloudflare API simulator',
    `  API base URL : ${sim.url}`,
    `  control      : ${sim.origin}/__sim/state`,
    `  scenario     : ${typeof opts.scenario === 'string' ? opts.scenario : 'custom'}`,
  ];
  if (opts.scenario === 'demo') {
    lines.push(`  admin token  : ${DEMO.admin.value}   (user token "${DEMO.admin.name}", every permission)`);
    lines.push(`  account admin: ${DEMO.accountAdmin.value}   (account-owned token "${DEMO.accountAdmin.name}")`);
    lines.push(`  account id   : ${DEMO.accountId}   zone id: ${DEMO.zoneId}`);
  } else {
    const admin = state.userTokens.find((t) => t.permissions.includes('API Tokens Write'));
    if (admin !== undefined) lines.push(`  admin token  : ${admin.value}   ("${admin.name}")`);
  }
  lines.push(`  global key   : ${state.user.email} / ${state.user.globalApiKey}   (needed for zone-level Access service tokens)`);
  lines.push(`  latency      : ${opts.latencyMs ?? 0} ms   rate limit: ${rl.limit} per ${rl.windowMs / 1000} s per user`);
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`simulator: ${signal}, shutting down\n`);
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`simulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
