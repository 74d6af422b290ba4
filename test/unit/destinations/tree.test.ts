/**
 * Destinations in the Tokens tree (no VS Code): their own nodes, icons, context values and pending
 * state, the Reveal Target argument they carry, the settings page it opens (https, built from
 * validated ids), and the confirmation text that shows their ids and what a write does.
 */
import { strict as assert } from 'node:assert';
import { validateConfig } from '../../../src/core/config/load';
import { destinationUrl, githubWebOrigin } from '../../../src/core/destinations';
import { historyKey } from '../../../src/core/history';
import { confirmRotateDetail, resultMessage } from '../../../src/commands/describe';
import { parseArg, revealTargetArgsSchema } from '../../../src/commands/schemas';
import { COMMANDS } from '../../../src/constants';
import { allContextValues, buildTree, nodeTooltip, type TargetNode, type TokenNode } from '../../../src/views/model';

const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';
const F = { path: '/work/app', name: 'app' };

const token = validateConfig({
  tokens: [
    {
      name: 'deploy',
      kind: 'account-api-token',
      accountId: A,
      tokenId: B,
      targets: [
        { file: '.env', key: 'CLOUDFLARE_API_TOKEN' },
        { worker: 'api-gateway', key: 'CF_API_TOKEN' },
        { pages: 'marketing-site', environment: 'production', key: 'CF_TOKEN' },
        { secretsStore: B, secretId: A },
        { github: 'acme/app', environment: 'prod', key: 'CLOUDFLARE_API_TOKEN' },
      ],
    },
  ],
}).tokens[0]!;

function targets(pending?: Set<string>): TargetNode[] {
  const roots = buildTree({
    folders: [{ folder: F, status: 'ok', configPath: `${F.path}/.vscode/cf-rotate.json`, tokens: [token] }],
    workspaceFolderCount: 1,
    history: [],
    now: Date.parse('2026-11-22T12:00:00Z'),
    reminderDays: 7,
    rotating: new Set(),
    interrupted: pending ? new Set([historyKey(F.path, 'deploy')]) : new Set(),
    ...(pending ? { pendingTargets: new Map([[historyKey(F.path, 'deploy'), pending]]) } : {}),
  });
  return (roots.find((n) => n.type === 'token') as TokenNode).children;
}

describe('destinations in the tree, Reveal Target and the confirmation', () => {
  it('each destination is a target node with its own icon and context value; files keep theirs', () => {
    const t = targets();
    assert.deepEqual(t.map((n) => n.contextValue), ['target', 'target.worker', 'target.pages', 'target.secrets-store', 'target.github']);
    assert.deepEqual(t.map((n) => n.icon?.id), ['symbol-variable', 'cloud', 'globe', 'lock', 'github']);
    assert.deepEqual(t.map((n) => n.label), ['.env › CLOUDFLARE_API_TOKEN', 'worker:api-gateway › CF_API_TOKEN', 'pages:marketing-site (production) › CF_TOKEN', `secrets-store:${B}/${A}`, 'github:acme/app (environment prod) › CLOUDFLARE_API_TOKEN']);
    for (const n of t) assert.ok(allContextValues().includes(n.contextValue), n.contextValue);
    const worker = t[1]!;
    assert.deepEqual(worker.command, { command: COMMANDS.revealTarget, title: 'Reveal Target', arguments: [{ folder: F.path, destination: { type: 'worker', accountId: A, worker: 'api-gateway' } }] });
    assert.match(nodeTooltip(worker) ?? '', /new version of the Worker/);
    assert.match(nodeTooltip(worker) ?? '', new RegExp(A));
  });

  it('a destination an interrupted rotation has not written yet shows as pending', () => {
    const t = targets(new Set(['worker:api-gateway › CF_API_TOKEN']));
    assert.equal(t[1]!.targetState, 'pending');
    assert.equal(t[1]!.icon?.color, 'list.warningForeground');
    assert.match(t[1]!.description ?? '', /not written yet/);
    assert.equal(t[2]!.targetState, 'ok');
    assert.match(nodeTooltip(t[1]!) ?? '', /Resume Interrupted Rotation/);
  });

  it('Reveal Target takes a file target or a destination (node or argument), validated; the page is https from the ids', () => {
    const t = targets();
    assert.deepEqual(parseArg(revealTargetArgsSchema, t[0], 'x'), { folder: F.path, file: '.env', key: 'CLOUDFLARE_API_TOKEN' });
    const dest = parseArg(revealTargetArgsSchema, t[4], 'x');
    assert.ok(dest && 'destination' in dest);
    assert.equal(destinationUrl(dest.destination), 'https://github.com/acme/app/settings/environments');
    assert.equal(destinationUrl({ type: 'worker', accountId: A, worker: 'api-gateway' }), `https://dash.cloudflare.com/${A}/workers/services/view/api-gateway/production/settings`);
    assert.equal(destinationUrl({ type: 'pages', accountId: A, pages: 'marketing-site' }), `https://dash.cloudflare.com/${A}/pages/view/marketing-site/settings/production`);
    assert.equal(destinationUrl({ type: 'github', github: 'acme/app' }, githubWebOrigin('https://ghe.example/api/v3')), 'https://ghe.example/acme/app/settings/secrets/actions');
    assert.equal(githubWebOrigin('https://api.github.com'), 'https://github.com');
    assert.equal(githubWebOrigin('http://127.0.0.1:9/github'), 'https://github.com', 'never an http page');
    for (const bad of [{ destination: { type: 'worker', accountId: A, worker: '../x' } }, { destination: { type: 'github', github: 'evil.example/x/y' } }, { destination: { type: 'pages', accountId: 'nothex', pages: 'p' } }]) {
      assert.throws(() => parseArg(revealTargetArgsSchema, bad, 'x'), /Invalid argument/);
    }
    assert.equal(destinationUrl({ type: 'worker', accountId: A, worker: 'a/b' }), undefined, 'ids are checked again where the URL is built');
  });

  it('the confirmation names each destination with its ids and profile, and what a write does there; results say what the writes did', () => {
    const text = confirmRotateDetail(token, 'app', '1h', Date.now());
    assert.match(text, /Files that change:\n {2}• \.env › CLOUDFLARE_API_TOKEN/);
    assert.match(text, new RegExp(`Worker "api-gateway" in account ${A} \\(profile default\\), secret CF_API_TOKEN: Cloudflare deploys a new version of the Worker`));
    assert.match(text, /Pages project "marketing-site" \(production\).*next deployment/);
    assert.match(text, new RegExp(`Secrets Store ${B}, secret ${A}`));
    assert.match(text, /GitHub Actions secret CLOUDFLARE_API_TOKEN of acme\/app \(environment "prod"\): workflow runs/);
    const msg = resultMessage({ name: 'deploy', ok: true, state: 'rotated', targets: ['worker:api-gateway › CF_API_TOKEN'], notes: ['worker:api-gateway › CF_API_TOKEN: Cloudflare deploys a new version of the Worker with the new secret.'] });
    assert.match(msg, /new version of the Worker/);
  });
});
