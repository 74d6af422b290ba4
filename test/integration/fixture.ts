/**
 * The workspace the integration and UI tests open: `.vscode/cf-rotate.json` naming one token of
 * every kind from the simulator's demo scenario, and `.env` / `.dev.vars` holding their live
 * secrets. Plain Node (no `vscode`): the harness process writes it first, the suites inside the
 * extension host rewrite it between tests, and both render the exact bytes a file must hold.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SimState } from '../simulator/types';

/** Names of the configured tokens, in config order. */
export const TOKENS = {
  account: 'deploy',
  user: 'me',
  access: 'ci-access',
  zoneAccess: 'zone-access',
  moq: 'moq-publish',
} as const;

/** The secrets the target files hold (or must hold). */
export interface Secrets {
  deploy: string;
  me: string;
  ciClientId: string;
  ciClientSecret: string;
  zoneClientId: string;
  zoneClientSecret: string;
  moq: string;
}

/** Ids of the demo resources, read from the live simulator state. */
export interface Ids {
  accountId: string;
  zoneId: string;
  deployTokenId: string;
  meTokenId: string;
  ciServiceTokenId: string;
  zoneServiceTokenId: string;
  relayId: string;
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`fixture: the simulator state has no ${what}`);
  return value;
}

function pieces(s: SimState): {
  deploy: SimState['accountTokens'][number];
  me: SimState['userTokens'][number];
  ci: SimState['serviceTokens'][number];
  zone: SimState['serviceTokens'][number];
  relay: SimState['moqRelays'][number];
} {
  const deploy = must(s.accountTokens.find((t) => t.name === 'deploy'), 'account token "deploy"');
  const me = must(s.userTokens.find((t) => t.name === 'me'), 'user token "me"');
  const ci = must(s.serviceTokens.find((t) => t.name === 'ci-access'), 'service token "ci-access"');
  const zone = must(s.serviceTokens.find((t) => t.name === 'zone-access'), 'service token "zone-access"');
  const relay = must(s.moqRelays.find((r) => r.name === 'demo-live'), 'relay "demo-live"');
  return { deploy, me, ci, zone, relay };
}

export function idsFromState(s: SimState): Ids {
  const p = pieces(s);
  return {
    accountId: must(p.deploy.accountId, 'account id of "deploy"'),
    zoneId: must(p.zone.zoneId, 'zone id of "zone-access"'),
    deployTokenId: p.deploy.id,
    meTokenId: p.me.id,
    ciServiceTokenId: p.ci.id,
    zoneServiceTokenId: p.zone.id,
    relayId: p.relay.uid,
  };
}

/** The live (currently accepted) secrets. */
export function secretsFromState(s: SimState): Secrets {
  const p = pieces(s);
  const moq = p.relay.tokens.filter((t) => t.type === 'publish_subscribe');
  if (moq.length !== 1) throw new Error(`fixture: relay "demo-live" has ${moq.length} publish_subscribe tokens, expected 1`);
  return {
    deploy: p.deploy.value,
    me: p.me.value,
    ciClientId: p.ci.clientId,
    ciClientSecret: p.ci.clientSecret,
    zoneClientId: p.zone.clientId,
    zoneClientSecret: p.zone.clientSecret,
    moq: (moq[0] as (typeof moq)[number]).secret,
  };
}

/** The cf-rotate.json object. */
export function configObject(ids: Ids): { tokens: Record<string, unknown>[] } {
  return {
    tokens: [
      {
        name: TOKENS.account,
        kind: 'account-api-token',
        description: 'Deploys the worker from CI',
        accountId: ids.accountId,
        tokenId: ids.deployTokenId,
        targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }],
      },
      {
        name: TOKENS.user,
        kind: 'user-api-token',
        tokenId: ids.meTokenId,
        targets: [{ file: '.env', key: 'CF_USER_TOKEN' }],
      },
      {
        name: TOKENS.access,
        kind: 'access-service-token',
        accountId: ids.accountId,
        serviceTokenId: ids.ciServiceTokenId,
        gracePeriod: '2h',
        targets: [
          { file: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' },
          { file: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' },
        ],
      },
      {
        name: TOKENS.zoneAccess,
        kind: 'access-service-token',
        zoneId: ids.zoneId,
        serviceTokenId: ids.zoneServiceTokenId,
        // Cloudflare does not report the version; the simulator's token starts at 1 (never rotated).
        clientSecretVersion: 1,
        gracePeriod: '0s',
        targets: [
          { file: '.dev.vars', key: 'ZONE_ACCESS_CLIENT_ID', field: 'clientId' },
          { file: '.dev.vars', key: 'ZONE_ACCESS_CLIENT_SECRET', field: 'clientSecret' },
        ],
      },
      {
        name: TOKENS.moq,
        kind: 'moq-relay-token',
        accountId: ids.accountId,
        relayId: ids.relayId,
        tokenType: 'publish_subscribe',
        targets: [{ file: '.dev.vars', key: 'MOQ_PUBLISH_TOKEN' }],
      },
    ],
  };
}

export function configText(ids: Ids): string {
  return `// cf-rotate integration fixture (JSONC: comments are allowed)\n${JSON.stringify(configObject(ids), null, 2)}\n`;
}

/**
 * `.env`: double, single and no quotes, `export`, an inline comment, blank lines and keys
 * cf-rotate must not touch. Every byte except the values must survive a rotation.
 */
export function envText(v: Secrets): string {
  return [
    '# cf-rotate integration fixture: comments, spacing and quotes must survive rotation',
    'APP_NAME=cf-rotate-it',
    `CLOUDFLARE_API_TOKEN="${v.deploy}"   # rolled by cf-rotate`,
    `export CF_USER_TOKEN=${v.me}`,
    '',
    `CF_ACCESS_CLIENT_ID=${v.ciClientId}`,
    `CF_ACCESS_CLIENT_SECRET='${v.ciClientSecret}'`,
    'UNRELATED_SECRET=keep-me-exactly',
    '',
  ].join('\n');
}

/** `.dev.vars` (wrangler): CRLF line endings, spaces around `=`, no final newline. */
export function devVarsText(v: Secrets): string {
  return [
    '# wrangler dev variables',
    `ZONE_ACCESS_CLIENT_ID = ${v.zoneClientId}`,
    `ZONE_ACCESS_CLIENT_SECRET = "${v.zoneClientSecret}"`,
    `MOQ_PUBLISH_TOKEN=${v.moq}`,
    'LOG_LEVEL=debug',
  ].join('\r\n');
}

export const CONFIG_FILE = path.join('.vscode', 'cf-rotate.json');

/** Write (or overwrite) the whole fixture from the simulator's live state. */
export function writeWorkspace(folder: string, state: SimState): Secrets {
  const secrets = secretsFromState(state);
  fs.mkdirSync(path.join(folder, '.vscode'), { recursive: true });
  replaceFile(path.join(folder, CONFIG_FILE), configText(idsFromState(state)));
  replaceFile(path.join(folder, '.env'), envText(secrets), 0o600);
  replaceFile(path.join(folder, '.dev.vars'), devVarsText(secrets), 0o600);
  return secrets;
}

/**
 * Replace a file in one step (a temporary beside it, renamed over it). A plain write truncates
 * first: VS Code, still holding the file's document from an earlier test, can reload it empty or
 * half written in between, and a test that then edits and saves that document writes it back.
 */
function replaceFile(file: string, text: string, mode = 0o644): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.fixture-${process.pid}.tmp`);
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}
