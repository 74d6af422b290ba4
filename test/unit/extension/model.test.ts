/** The tree model: nodes, descriptions, context values, states, reminders. No VS Code. */
import { strict as assert } from 'node:assert';
import type { TokenConfig } from '../../../src/core/config/schema';
import { validateConfig } from '../../../src/core/config/load';
import { historyKey, type HistoryEntry } from '../../../src/core/history';
import { configureL10n, resetL10n } from '../../../src/core/l10n';
import { COMMANDS } from '../../../src/constants';
import {
  allContextValues,
  buildTree,
  dueText,
  dueTokens,
  escapeMarkdown,
  LAST_VALID_NOTE,
  nodeTooltip,
  reminderText,
  SPINNING_ROWS_MAX,
  tokenContextValue,
  tokenDescription,
  tokenNodes,
  tokenStatus,
  type FolderConfigState,
  type MessageNode,
  type TokenNode,
  type TreeInput,
  type TreeNode,
} from '../../../src/views/model';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-22T12:00:00Z');
const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';
const UUID = 'f174e90a-fafe-4643-bbbc-4a0ed4fc8415';

const tokens: TokenConfig[] = validateConfig({
  tokens: [
    { name: 'deploy', kind: 'account-api-token', accountId: A, tokenId: B, rotateEveryDays: 30, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] },
    { name: 'me', kind: 'user-api-token', tokenId: B, targets: [{ file: '.env', key: 'CF_USER_TOKEN' }] },
    { name: 'ci-access', kind: 'access-service-token', accountId: A, serviceTokenId: UUID, profile: 'ops', targets: [{ file: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' }, { file: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' }] },
    { name: 'relay', kind: 'moq-relay-token', accountId: A, relayId: B, rotateEveryDays: 90, targets: [{ file: '.dev.vars', key: 'MOQ_PUBLISH_TOKEN' }] },
  ],
}).tokens;

const F1 = { path: '/work/app', name: 'app' };
const F2 = { path: '/work/api', name: 'api' };

function entry(name: string, daysAgo: number, outcome: HistoryEntry['outcome'] = 'rotated', extra: Partial<HistoryEntry> = {}): HistoryEntry {
  return { at: new Date(NOW - daysAgo * DAY).toISOString(), folder: F1.path, name, kind: 'account-api-token', outcome, targets: [], ...extra };
}

function input(over: Partial<TreeInput> = {}): TreeInput {
  return {
    folders: [{ folder: F1, status: 'ok', configPath: `${F1.path}/.vscode/cf-rotate.json`, tokens }],
    workspaceFolderCount: 1,
    history: [],
    now: NOW,
    reminderDays: 7,
    rotating: new Set(),
    interrupted: new Set(),
    credentialProfiles: new Set(['default', 'ops']),
    ...over,
  };
}

function token(roots: readonly TreeNode[], name: string): TokenNode {
  const t = tokenNodes(roots).find((n) => n.name === name);
  assert.ok(t, `token ${name}`);
  return t;
}

describe('tree model', () => {
  it('lists one node per token with targets as children (single folder: no folder level)', () => {
    const roots = buildTree(input());
    assert.deepEqual(roots.map((r) => r.type), ['token', 'token', 'token', 'token']);
    const access = token(roots, 'ci-access');
    assert.deepEqual(access.children.map((c) => c.label), ['.env › CF_ACCESS_CLIENT_ID', '.env › CF_ACCESS_CLIENT_SECRET']);
    assert.deepEqual(access.children.map((c) => c.description), ['client ID', 'client secret']);
    const target = access.children[0];
    assert.equal(target?.contextValue, 'target');
    assert.equal(target?.command?.command, COMMANDS.revealTarget);
    assert.deepEqual(target?.command?.arguments, [{ folder: F1.path, file: '.env', key: 'CF_ACCESS_CLIENT_ID' }]);
    assert.equal(new Set(tokenNodes(roots).flatMap((t) => [t.id, ...t.children.map((c) => c.id)])).size, 4 + 5, 'ids are unique');
  });

  it('uses an icon per kind', () => {
    const roots = buildTree(input());
    assert.equal(token(roots, 'deploy').icon?.id, 'key');
    assert.equal(token(roots, 'me').icon?.id, 'account');
    assert.equal(token(roots, 'ci-access').icon?.id, 'shield');
    assert.equal(token(roots, 'relay').icon?.id, 'broadcast');
  });

  it('groups by workspace folder when there are several', () => {
    const roots = buildTree(
      input({
        workspaceFolderCount: 3,
        folders: [
          { folder: F1, status: 'ok', configPath: 'x', tokens: tokens.slice(0, 2) },
          { folder: F2, status: 'ok', configPath: 'y', tokens: [] },
          { folder: { path: '/work/docs', name: 'docs' }, status: 'missing', configPath: 'z' },
        ],
      }),
    );
    assert.deepEqual(roots.map((r) => [r.type, r.label]), [['folder', 'app'], ['folder', 'api']]);
    const api = roots[1];
    assert.ok(api?.type === 'folder');
    assert.equal(api.children[0]?.type, 'message');
    assert.equal(api.children[0]?.command?.command, COMMANDS.addToken);
    assert.equal(api.contextValue, 'folder');
  });

  it('stays empty with one folder and no tokens, so the welcome view shows', () => {
    assert.deepEqual(buildTree(input({ folders: [{ folder: F1, status: 'ok', configPath: 'x', tokens: [] }] })), []);
    assert.deepEqual(buildTree(input({ folders: [{ folder: F1, status: 'missing', configPath: 'x' }] })), []);
  });

  it('shows config errors as message nodes naming the JSON path, opening the config there', () => {
    const state: FolderConfigState = {
      folder: F1,
      status: 'error',
      configPath: 'x',
      message: 'invalid',
      issues: [
        { path: 'tokens[2].accountId', message: 'must be 32 hex characters' },
        { path: '(file)', message: 'JSON syntax error' },
      ],
    };
    const roots = buildTree(input({ folders: [state] })) as MessageNode[];
    assert.deepEqual(roots.map((r) => [r.type, r.label, r.description]), [
      ['message', 'tokens[2].accountId', 'must be 32 hex characters'],
      ['message', 'cf-rotate.json', 'JSON syntax error'],
    ]);
    assert.equal(roots[0]?.contextValue, 'message.configError');
    assert.deepEqual(roots[0]?.command, { command: COMMANDS.openConfig, title: 'Open Configuration', arguments: [{ folder: F1.path, path: 'tokens[2].accountId' }] });
  });

  it('keeps the tokens of the last valid version under the problems of an invalid file, marked as such', () => {
    const valid = validateConfig({ tokens: [{ name: 'deploy', kind: 'account-api-token', accountId: A, tokenId: A, targets: [{ file: '.env', key: 'K' }] }] }).tokens;
    const okTree = buildTree(input({ folders: [{ folder: F1, status: 'ok', configPath: 'x', tokens: valid }] }));
    const state: FolderConfigState = {
      folder: F1,
      status: 'error',
      configPath: 'x',
      message: 'x has a syntax error',
      issues: [{ path: '(file)', message: 'has a syntax error at line 4, column 7: a property name is missing' }],
      lastValid: valid,
    };
    const roots = buildTree(input({ folders: [state] }));
    assert.deepEqual(roots.map((r) => [r.type, r.label, r.description]), [
      ['message', 'cf-rotate.json', 'has a syntax error at line 4, column 7: a property name is missing'],
      ['token', 'deploy', `${LAST_VALID_NOTE} · not rotated yet`],
    ]);
    const token = roots[1];
    assert.ok(token?.type === 'token');
    assert.equal(token.stale, true);
    assert.equal(token.id, okTree[0]?.id, 'the same id as in the valid tree (expansion survives a save)');
    assert.match(nodeTooltip(token) ?? '', /From the last valid version of cf-rotate\.json/);
    assert.match(nodeTooltip(roots[0] as MessageNode) ?? '', /cf-rotate\.json has a syntax error at line 4, column 7: a property name is missing/);
    // Grouped (two folders): under the folder, after the problems.
    const grouped = buildTree(input({ folders: [state, { folder: F2, status: 'missing', configPath: 'y' }], workspaceFolderCount: 2 }));
    assert.ok(grouped[0]?.type === 'folder');
    assert.deepEqual(grouped[0].children.map((c) => c.type), ['message', 'token']);
  });

  it('caps the number of issue nodes', () => {
    const issues = Array.from({ length: 80 }, (_, i) => ({ path: `tokens[${i}].name`, message: 'bad' }));
    const roots = buildTree(input({ folders: [{ folder: F1, status: 'error', configPath: 'x', message: 'm', issues }] }));
    assert.equal(roots.length, 51);
    assert.match(roots[50]?.label ?? '', /30 more/);
  });

  it('asks for a missing credential per profile', () => {
    const roots = buildTree(input({ credentialProfiles: new Set(['default']) }));
    const msg = roots[0];
    assert.ok(msg?.type === 'message');
    assert.equal(msg.contextValue, 'message.noCredential');
    assert.match(msg.label, /profile "ops"/);
    assert.deepEqual(msg.command?.arguments, [{ profile: 'ops' }]);
    assert.equal(buildTree(input({ credentialProfiles: undefined }))[0]?.type, 'token', 'unknown credentials: no message');
  });

  it('describes last rotation, expiry and due date', () => {
    const roots = buildTree(input({ history: [entry('deploy', 3, 'rotated', { expiresAt: new Date(NOW + 12 * DAY).toISOString() })] }));
    const deploy = token(roots, 'deploy');
    assert.equal(deploy.description, 'rolled 3 d ago · expires in 12 d');
    assert.equal(deploy.state, 'ok');
    assert.equal(deploy.contextValue, 'token.account-api-token.ok');
    assert.equal(token(roots, 'me').description, 'not rotated yet');
    assert.equal(token(roots, 'me').state, 'unscheduled');
  });

  it('marks due-soon, overdue, failed, rotating and interrupted tokens', () => {
    const history = [entry('deploy', 25), entry('relay', 100), entry('me', 1, 'rotated'), entry('me', 0.5, 'failed', { error: 'permission denied' })];
    const k = (name: string): string => historyKey(F1.path, name);
    const roots = buildTree(input({ history, rotating: new Set([k('ci-access')]) }));
    const deploy = token(roots, 'deploy');
    assert.equal(deploy.state, 'due');
    assert.equal(deploy.icon?.color, 'charts.yellow');
    assert.match(deploy.description ?? '', /due in 5 d/);
    const relay = token(roots, 'relay');
    assert.equal(relay.state, 'overdue');
    assert.match(relay.description ?? '', /overdue by 10 d/);
    assert.equal(relay.icon?.color, 'charts.red');
    const me = token(roots, 'me');
    assert.equal(me.state, 'failed');
    assert.equal(me.icon?.color, 'errorForeground');
    assert.match(me.description ?? '', /last rotation failed/);
    assert.match(nodeTooltip(me) ?? '', /permission denied/);
    const access = token(roots, 'ci-access');
    assert.equal(access.state, 'rotating');
    assert.equal(access.icon?.id, 'sync~spin');
    assert.equal(access.contextValue, 'token.access-service-token.rotating');

    const again = buildTree(input({ history, interrupted: new Set([k('deploy')]) }));
    assert.equal(token(again, 'deploy').state, 'interrupted');
    assert.equal(token(again, 'deploy').contextValue, 'token.account-api-token.interrupted');
  });

  it('rotating rows spin in a small batch; in a larger one they show a still icon with the same words', () => {
    const k = (name: string): string => historyKey(F1.path, name);
    const few = new Set(['ci-access', 'deploy']);
    const small = buildTree(input({ rotating: new Set([...few].map(k)) }));
    for (const name of few) assert.equal(token(small, name).icon?.id, 'sync~spin', name);
    // The others of a large batch live in other folders; only the count decides.
    const others = Array.from({ length: SPINNING_ROWS_MAX - few.size + 1 }, (_, i) => historyKey('/elsewhere', `t${i}`));
    const atMax = buildTree(input({ rotating: new Set([...[...few].map(k), ...others.slice(1)]) }));
    assert.equal(token(atMax, 'deploy').icon?.id, 'sync~spin', `${SPINNING_ROWS_MAX} rotating: still spinning`);
    const large = buildTree(input({ rotating: new Set([...[...few].map(k), ...others]) }));
    for (const name of few) {
      const t = token(large, name);
      assert.equal(t.state, 'rotating');
      assert.deepEqual(t.icon, { id: 'sync', color: 'charts.blue' }, name);
      assert.equal(t.description, 'rotating…');
      assert.equal(t.contextValue, tokenContextValue(t.kind, 'rotating'));
    }
    assert.notEqual(token(large, 'relay').icon?.id, 'sync', 'a token outside the batch keeps its own icon');
  });

  it('treats a scheduled token never rotated here as overdue', () => {
    const s = tokenStatus(tokens[0] as TokenConfig, undefined, undefined, { now: NOW, reminderDays: 7, rotating: false, interrupted: false });
    assert.equal(s.state, 'overdue');
    assert.equal(tokenDescription('account-api-token', s, NOW), 'not rotated yet · overdue (age unknown)');
  });

  it('descriptions in a translation: each one-argument message filled in as l10n.t fills it, wherever the translation puts the argument', () => {
    configureL10n({
      language: 'en',
      bundle: { 'rolled {0}': '{0} — gerollt', 'overdue by {0}': '{0} überfällig ({0})', 'due {0}': 'bald fällig', 'replaced {0}': 'ersetzt {0}', 'rotated {0}': 'rotiert {0}' },
    });
    try {
      const overdue = buildTree(input({ history: [entry('deploy', 40), entry('me', 3, 'rotated', { tokenId: A }), entry('relay', 1)] }));
      assert.equal(token(overdue, 'deploy').description, '40 d ago — gerollt · 10 d überfällig (10 d)');
      assert.equal(token(overdue, 'me').description, 'ersetzt 3 d ago');
      assert.equal(token(overdue, 'relay').description, 'rotiert 1 d ago');
      const soon = buildTree(input({ history: [entry('deploy', 25)] }));
      assert.equal(token(soon, 'deploy').description, '25 d ago — gerollt · bald fällig');
      // The same words outside the tree (status bar, notifications).
      assert.equal(tokenDescription('account-api-token', token(soon, 'deploy').status, NOW), '25 d ago — gerollt · bald fällig');
      assert.equal(dueText({ state: 'overdue', dueAt: NOW - 3 * DAY }, NOW), '3 d überfällig (3 d)');
    } finally {
      resetL10n();
    }
    assert.equal(token(buildTree(input({ history: [entry('deploy', 40)] })), 'deploy').description, 'rolled 40 d ago · overdue by 10 d', 'English again');
  });

  it('a rebuild from the same history list reuses its summary (same words, a later instant moves the times); a new list is read anew', () => {
    const history = [entry('deploy', 40), entry('me', 3, 'rotated', { expiresAt: new Date(NOW + 2 * DAY).toISOString() })];
    const first = buildTree(input({ history }));
    assert.equal(token(first, 'deploy').description, 'rolled 40 d ago · overdue by 10 d');
    assert.equal(token(first, 'me').description, 'rolled 3 d ago · expires in 2 d · due in 2 d');
    const later = buildTree(input({ history, now: NOW + DAY }));
    assert.equal(token(later, 'deploy').description, 'rolled 41 d ago · overdue by 11 d');
    assert.equal(token(later, 'me').description, 'rolled 4 d ago · expires in 1 d · due in 1 d');
    const fresh = buildTree(input({ history: [entry('deploy', 1), ...history] }));
    assert.equal(token(fresh, 'deploy').description, 'rolled 1 d ago');
    assert.equal(token(buildTree(input({ history })), 'deploy').description, 'rolled 40 d ago · overdue by 10 d', 'the first list still reads as it did');
  });

  it('a success after a failure clears the failed state', () => {
    const roots = buildTree(input({ history: [entry('me', 2, 'failed'), entry('me', 1, 'rotated')] }));
    assert.equal(token(roots, 'me').state, 'unscheduled');
  });

  it('builds tooltips with kind, ids and targets and escapes user text', () => {
    const t = { ...(tokens[1] as TokenConfig), description: 'uses *stars* and [links](http://x)' } as TokenConfig;
    const roots = buildTree(input({ folders: [{ folder: F1, status: 'ok', configPath: 'x', tokens: [t] }], history: [entry('me', 3)] }));
    const me = token(roots, 'me');
    assert.equal(me.tooltip, undefined, 'token tooltips are built on demand, not with the tree');
    const tip = nodeTooltip(me) ?? '';
    assert.match(tip, /User API token/);
    assert.match(tip, new RegExp(B));
    assert.match(tip, /CF\\_USER\\_TOKEN/);
    assert.match(tip, /\\\*stars\\\*/);
    assert.doesNotMatch(tip, /\[links\]\(http/);
    assert.match(tip, /- Profile: default\n/);
    assert.match(tip, /- Last rotation: 2026\\-11\\-19T12:00:00\\.000Z \(3 d ago\)/, 'relative to the time the tree was built');
    const target = me.children[0];
    assert.ok(target);
    assert.equal(target.tooltip, undefined);
    assert.equal(nodeTooltip(target), '\\.env › CF\\_USER\\_TOKEN\n\nReceives the token of **me**. Click to open the file at this variable.');
    assert.equal(escapeMarkdown('a_b*c'), 'a\\_b\\*c');
    assert.equal(escapeMarkdown('\\`*_{}[]()#+-.!|<>~ plain'), '\\\\\\`\\*\\_\\{\\}\\[\\]\\(\\)\\#\\+\\-\\.\\!\\|\\<\\>\\~ plain');
  });

  it('notes a missing credential in the token tooltip', () => {
    const roots = buildTree(input({ credentialProfiles: new Set(['default']) }));
    assert.match(nodeTooltip(token(roots, 'ci-access')) ?? '', /- Profile: ops \(no credential set\)/);
    assert.doesNotMatch(nodeTooltip(token(roots, 'deploy')) ?? '', /no credential set/);
  });

  it('produces only context values listed by allContextValues()', () => {
    const known = new Set(allContextValues());
    const history = [entry('deploy', 25), entry('relay', 100), entry('me', 0.5, 'lost')];
    const all: TreeNode[] = [];
    const walk = (nodes: readonly TreeNode[]): void => {
      for (const n of nodes) {
        all.push(n);
        if (n.type === 'folder' || n.type === 'token') walk(n.children);
      }
    };
    walk(buildTree(input({ history, credentialProfiles: new Set(['default']) })));
    walk(buildTree(input({ workspaceFolderCount: 2, folders: [{ folder: F1, status: 'error', configPath: 'x', message: 'm', issues: [] }, { folder: F2, status: 'ok', configPath: 'y', tokens: [] }] })));
    for (const n of all) assert.ok(known.has(n.contextValue), n.contextValue);
    assert.equal(tokenContextValue('access-service-token', 'due'), 'token.access-service-token.due');
  });

  it('computes the status-bar reminder', () => {
    assert.equal(reminderText(buildTree(input({ history: [entry('deploy', 1), entry('relay', 1)] }))), undefined);
    const roots = buildTree(input({ history: [entry('deploy', 25), entry('relay', 100)] }));
    assert.deepEqual(dueTokens(roots).map((t) => t.name), ['deploy', 'relay']);
    const r = reminderText(roots);
    // One state, one name: the status bar, its tooltip and the tree descriptions use the same words.
    assert.equal(r?.text, '$(key) 1 overdue · 1 due soon');
    assert.equal(r?.overdue, 1);
    assert.equal(r?.dueSoon, 1);
    const relay = tokenNodes(roots).find((t) => t.name === 'relay');
    const deploy = tokenNodes(roots).find((t) => t.name === 'deploy');
    assert.match(r?.tooltip ?? '', /^Cloudflare Rotate: 1 overdue · 1 due soon\n/);
    assert.ok(r?.tooltip.includes(`relay: ${dueText(relay!.due, NOW)}`) && relay?.description?.endsWith(` · ${dueText(relay.due, NOW)}`), r?.tooltip);
    assert.ok(r?.tooltip.includes(`deploy: ${dueText(deploy!.due, NOW)}`) && deploy?.description?.endsWith(` · ${dueText(deploy.due, NOW)}`), r?.tooltip);
    assert.match(dueText(relay!.due, NOW) ?? '', /^overdue by \d+ d$/);
    assert.match(dueText(deploy!.due, NOW) ?? '', /^due in \d+ d$/);
    assert.equal(dueText({ state: 'overdue' }, NOW), 'overdue (age unknown)');
    assert.equal(dueText({ state: 'ok', dueAt: NOW + 1e10 }, NOW), undefined);
  });
});
