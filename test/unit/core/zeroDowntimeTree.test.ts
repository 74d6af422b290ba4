/**
 * Zero-downtime rotation in the Tokens tree (no VS Code): a pending retirement on its token node
 * ("previous token retires in 23 h", a failed one "retrying"), the credential node of a profile (the
 * admin token's expiry and age, the previous admin token's retirement), Turnstile and OAuth-client
 * token nodes with context values the manifest knows; never a secret.
 */
import { strict as assert } from 'node:assert';
import { validateConfig } from '../../../src/core/config/load';
import { allContextValues, buildTree, nodeTooltip, type TokenNode, type TreeNode } from '../../../src/views/model';
import { credentialNodes, retirementNote } from '../../../src/views/credentialNodes';

const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';
const F = { path: '/work/app', name: 'app' };
const NOW = Date.parse('2026-11-22T12:00:00Z');
const HOUR = 3_600_000;

const tokens = validateConfig({
  tokens: [
    { name: 'deploy', kind: 'account-api-token', accountId: A, tokenId: B, strategy: 'replace', overlap: '24h', targets: [{ file: '.env', key: 'T' }, { file: '.env', key: 'R2_ACCESS_KEY_ID', field: 'r2AccessKeyId' }] },
    { name: 'widget', kind: 'turnstile-secret', accountId: A, sitekey: '0x4AAAAAAABBBBBBBBBBBBBB', targets: [{ file: '.env', key: 'TS' }] },
    { name: 'app', kind: 'oauth-client-secret', accountId: A, clientId: B, targets: [{ file: '.env', key: 'OS' }] },
  ],
}).tokens;

function tree(retirements: Parameters<typeof buildTree>[0]['retirements'], credentials?: Parameters<typeof buildTree>[0]['credentials']): TreeNode[] {
  return buildTree({
    folders: [{ folder: F, status: 'ok', configPath: `${F.path}/.vscode/cf-rotate.json`, tokens }],
    workspaceFolderCount: 1,
    history: [],
    now: NOW,
    reminderDays: 7,
    rotating: new Set(),
    interrupted: new Set(),
    ...(retirements ? { retirements } : {}),
    ...(credentials ? { credentials } : {}),
  });
}
const tokenNodes = (roots: TreeNode[]): TokenNode[] => roots.filter((n): n is TokenNode => n.type === 'token');

describe('zero-downtime in the tree', () => {
  it('a pending retirement shows on its token node and in its tooltip; the new kinds have known context values', () => {
    const roots = tree([{ folder: F.path, name: 'deploy', profile: 'default', kind: 'account-api-token', dueAt: NOW + 23 * HOUR, attempts: 0, target: B }]);
    const [deploy, widget, app] = tokenNodes(roots);
    assert.match(String(deploy!.description), /previous token retires in 23 h/);
    assert.match(nodeTooltip(deploy!) ?? '', /keeps working and is deleted in 23 h/);
    assert.ok(!/retires/.test(String(widget!.description)) && !/retires/.test(String(app!.description)));
    for (const n of tokenNodes(roots)) assert.ok(allContextValues().includes(n.contextValue), n.contextValue);
  });

  it('a failed retirement says it is retried; an OAuth client\'s retirement speaks of its previous secret', () => {
    const roots = tree([
      { folder: F.path, name: 'deploy', profile: 'default', kind: 'account-api-token', dueAt: NOW - HOUR, attempts: 2, lastError: 'Cloudflare had an internal error' },
      { folder: F.path, name: 'app', profile: 'default', kind: 'oauth-client-secret', dueAt: NOW + HOUR, attempts: 0 },
    ]);
    const [deploy, , app] = tokenNodes(roots);
    assert.match(String(deploy!.description), /retirement failed, retrying/);
    assert.match(nodeTooltip(deploy!) ?? '', /2 attempts: Cloudflare had an internal error\\\); it is tried again/);
    assert.match(String(app!.description), /previous secret retires in 1 h/);
  });

  it('the credential node shows the admin token\'s expiry, age and the previous admin token\'s retirement; a Global API key says it cannot be rotated', () => {
    const nodes = credentialNodes(
      [
        { profile: 'default', schemes: ['api-token'], tokenId: B, expiresAt: NOW + 30 * 24 * HOUR, issuedAt: NOW - 90 * 24 * HOUR },
        { profile: 'legacy', schemes: ['global-key'] },
      ],
      [{ folder: '', name: 'admin credential (profile default)', profile: 'default', kind: 'user-api-token', admin: true, dueAt: NOW + 2 * HOUR, attempts: 0 }],
      NOW,
    );
    const [def, legacy] = nodes;
    assert.equal(def!.contextValue, 'credential.api-token');
    assert.match(String(def!.description), /API token · expires in 30 d.* · 90 d old · previous admin token retires in 2 h/);
    assert.match(String(def!.tooltip), /Rotate Admin Credential/);
    assert.equal(legacy!.contextValue, 'credential.global-key');
    assert.match(String(legacy!.tooltip), /cannot be rotated by API/);
    for (const n of nodes) assert.ok(allContextValues().includes(n.contextValue));
    const roots = tree(undefined, [{ profile: 'default', schemes: ['api-token'] }]);
    assert.equal(roots[0]!.type, 'credential', 'credential nodes come first');
  });

  it('retirementNote words each case', () => {
    const base = { folder: F.path, name: 'x', profile: 'p', kind: 'user-api-token', attempts: 0 };
    assert.equal(retirementNote({ ...base, dueAt: NOW - 1 }, NOW), 'previous token retires now');
    assert.equal(retirementNote({ ...base, admin: true, dueAt: NOW + 3 * HOUR }, NOW), 'previous admin token retires in 3 h');
  });
});
