/**
 * The token tree as plain data, built without VS Code (unit-tested). `tree.ts` turns these
 * nodes into TreeItems; commands receive them as arguments. No node ever holds a secret:
 * only names, ids, file names and variable names.
 */
import type { ConfigIssue } from '../core/config/load';
import { targetField, type SecretField, type TokenConfig, type TokenKind } from '../core/config/schema';
import { historyKey, type HistoryEntry } from '../core/history';
import { dueInfo, relativeTime, type DueInfo } from '../core/schedule';
import { COMMANDS } from '../constants';

export interface FolderInfo {
  /** Absolute file-system path of the workspace folder. */
  path: string;
  name: string;
}

export type FolderConfigState =
  | { folder: FolderInfo; status: 'missing'; configPath: string }
  | { folder: FolderInfo; status: 'ok'; configPath: string; tokens: TokenConfig[] }
  | { folder: FolderInfo; status: 'error'; configPath: string; message: string; issues: ConfigIssue[] };

export const TOKEN_STATES = ['ok', 'due', 'overdue', 'failed', 'unscheduled', 'rotating', 'interrupted'] as const;
export type TokenState = (typeof TOKEN_STATES)[number];

export interface NodeCommand {
  command: string;
  title: string;
  arguments?: unknown[];
}

export interface NodeIcon {
  /** Codicon id, e.g. `key` or `sync~spin`. */
  id: string;
  /** Theme color id, e.g. `charts.yellow`. */
  color?: string;
}

interface NodeBase {
  /** Stable and unique in the tree (keeps expansion state across refreshes). */
  id: string;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip?: string;
  contextValue: string;
  icon?: NodeIcon;
  command?: NodeCommand;
}

export interface FolderNode extends NodeBase {
  type: 'folder';
  folder: string;
  folderName: string;
  children: TreeNode[];
}

export interface TokenNode extends NodeBase {
  type: 'token';
  folder: string;
  folderName: string;
  name: string;
  kind: TokenKind;
  profile: string;
  state: TokenState;
  due: DueInfo;
  children: TargetNode[];
}

export interface TargetNode extends NodeBase {
  type: 'target';
  folder: string;
  token: string;
  file: string;
  key: string;
  field: SecretField;
}

export interface MessageNode extends NodeBase {
  type: 'message';
  severity: 'error' | 'warning' | 'info';
  /** The workspace folder the message is about (context-menu commands receive the node). */
  folder?: string;
  /** Config errors: the JSON path of the problem (`openConfig` reveals it). */
  path?: string;
}

export type TreeNode = FolderNode | TokenNode | TargetNode | MessageNode;

export interface TreeInput {
  folders: readonly FolderConfigState[];
  /** Total number of workspace folders (grouping by folder starts at two). */
  workspaceFolderCount: number;
  /** Rotation history, any order. */
  history: readonly HistoryEntry[];
  now: number;
  reminderDays: number;
  /** `historyKey(folder, name)` of tokens being rotated right now. */
  rotating: ReadonlySet<string>;
  /** `historyKey(folder, name)` of tokens with an interrupted rotation in the journal. */
  interrupted: ReadonlySet<string>;
  /** Profiles that have a stored admin credential; `undefined` while unknown. */
  credentialProfiles?: ReadonlySet<string>;
}

export const KIND_LABELS: Record<TokenKind, string> = {
  'account-api-token': 'Account API token',
  'user-api-token': 'User API token',
  'access-service-token': 'Access service token',
  'moq-relay-token': 'MoQ relay token',
};

export const KIND_ICONS: Record<TokenKind, string> = {
  'account-api-token': 'key',
  'user-api-token': 'account',
  'access-service-token': 'shield',
  'moq-relay-token': 'broadcast',
};

export const STATE_COLORS: Partial<Record<TokenState, string>> = {
  due: 'charts.yellow',
  overdue: 'charts.red',
  failed: 'errorForeground',
  rotating: 'charts.blue',
  interrupted: 'list.warningForeground',
};

const FIELD_LABELS: Record<SecretField, string> = { token: 'token', clientId: 'client ID', clientSecret: 'client secret' };

export function tokenContextValue(kind: TokenKind, state: TokenState): string {
  return `token.${kind}.${state}`;
}

/** Every context value the tree can produce (the manifest test checks menu `when` clauses against it). */
export function allContextValues(): string[] {
  const kinds: TokenKind[] = ['account-api-token', 'user-api-token', 'access-service-token', 'moq-relay-token'];
  const out = ['folder', 'folder.error', 'target', 'message.configError', 'message.noCredential', 'message.noTokens', 'message.info'];
  for (const k of kinds) for (const s of TOKEN_STATES) out.push(tokenContextValue(k, s));
  return out;
}

/** `.env › CLOUDFLARE_API_TOKEN` — the same form the engine uses in results and history. */
export function targetLabel(file: string, key: string): string {
  return `${file} › ${key}`;
}

/** Escape text for a MarkdownString (no HTML, no links, no emphasis from user data). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

export interface TokenStatus {
  state: TokenState;
  due: DueInfo;
  lastSuccess?: HistoryEntry;
  lastAttempt?: HistoryEntry;
  expiresAt?: number;
}

/** Latest entry per token: last success, last attempt (rotation outcomes only). */
export function summariseHistory(entries: readonly HistoryEntry[]): { success: Map<string, HistoryEntry>; attempt: Map<string, HistoryEntry> } {
  const success = new Map<string, HistoryEntry>();
  const attempt = new Map<string, HistoryEntry>();
  for (const e of entries) {
    if (e.outcome === 'expired-previous') continue;
    const k = historyKey(e.folder, e.name);
    const a = attempt.get(k);
    if (!a || a.at < e.at) attempt.set(k, e);
    if (e.outcome === 'rotated' || e.outcome === 'recovered') {
      const s = success.get(k);
      if (!s || s.at < e.at) success.set(k, e);
    }
  }
  return { success, attempt };
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

export function tokenStatus(
  token: TokenConfig,
  lastSuccess: HistoryEntry | undefined,
  lastAttempt: HistoryEntry | undefined,
  opts: { now: number; reminderDays: number; rotating: boolean; interrupted: boolean },
): TokenStatus {
  const lastAt = parseTime(lastSuccess?.at);
  const expiresAt = parseTime(lastSuccess?.expiresAt);
  const due = dueInfo(token, lastAt, opts.now, opts.reminderDays, expiresAt);
  const failed = lastAttempt !== undefined && (lastAttempt.outcome === 'failed' || lastAttempt.outcome === 'lost') && (lastSuccess === undefined || lastSuccess.at < lastAttempt.at);
  let state: TokenState;
  if (opts.rotating) state = 'rotating';
  else if (opts.interrupted) state = 'interrupted';
  else if (failed) state = 'failed';
  else if (due.state === 'overdue') state = 'overdue';
  else if (due.state === 'due-soon') state = 'due';
  else if (due.state === 'unscheduled') state = 'unscheduled';
  else state = 'ok';
  return {
    state,
    due,
    ...(lastSuccess ? { lastSuccess } : {}),
    ...(lastAttempt ? { lastAttempt } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

function isApiToken(kind: TokenKind): boolean {
  return kind === 'account-api-token' || kind === 'user-api-token';
}

/** "rolled 3 d ago · expires in 12 d", "never rotated · overdue", "rotating…". */
export function tokenDescription(kind: TokenKind, s: TokenStatus, now: number): string {
  if (s.state === 'rotating') return 'rotating…';
  if (s.state === 'interrupted') return 'interrupted rotation · resume it';
  const parts: string[] = [];
  const last = parseTime(s.lastSuccess?.at);
  parts.push(last !== undefined ? `${isApiToken(kind) ? 'rolled' : 'rotated'} ${relativeTime(last, now)}` : 'not rotated yet');
  if (s.expiresAt !== undefined) parts.push(s.expiresAt > now ? `expires ${relativeTime(s.expiresAt, now)}` : `expired ${relativeTime(s.expiresAt, now)}`);
  if (s.state === 'failed') parts.push(s.lastAttempt?.outcome === 'lost' ? 'last rotation lost its secret' : 'last rotation failed');
  if (s.due.state === 'overdue') {
    const r = s.due.dueAt !== undefined ? relativeTime(s.due.dueAt, now) : undefined;
    parts.push(r === undefined ? 'due now (age unknown)' : r === 'just now' ? 'due now' : `overdue by ${r.replace(/ ago$/, '')}`);
  }
  else if (s.due.state === 'due-soon' && s.due.dueAt !== undefined) parts.push(`due ${relativeTime(s.due.dueAt, now)}`);
  return parts.join(' · ');
}

function tokenIds(t: TokenConfig): [string, string][] {
  switch (t.kind) {
    case 'account-api-token':
      return [['Account', t.accountId], ['Token ID', t.tokenId]];
    case 'user-api-token':
      return [['Token ID', t.tokenId]];
    case 'access-service-token':
      return [
        ...(t.accountId ? ([['Account', t.accountId]] as [string, string][]) : []),
        ...(t.zoneId ? ([['Zone', t.zoneId]] as [string, string][]) : []),
        ['Service token ID', t.serviceTokenId],
        ['Grace period', t.gracePeriod ?? 'default setting'],
      ];
    case 'moq-relay-token':
      return [['Account', t.accountId], ['Relay', t.relayId], ['Token type', t.tokenType]];
  }
}

export function tokenTooltip(folderName: string, t: TokenConfig, s: TokenStatus, now: number, hasCredential: boolean | undefined): string {
  const lines: string[] = [];
  lines.push(`**${escapeMarkdown(t.name)}** — ${KIND_LABELS[t.kind]}`);
  if (t.description) lines.push('', escapeMarkdown(t.description));
  lines.push('');
  lines.push(`- Folder: ${escapeMarkdown(folderName)}`);
  lines.push(`- Profile: ${escapeMarkdown(t.profile)}${hasCredential === false ? ' (no credential set)' : ''}`);
  for (const [k, v] of tokenIds(t)) lines.push(`- ${k}: ${escapeMarkdown(v)}`);
  lines.push(`- Schedule: ${t.rotateEveryDays !== undefined ? `every ${t.rotateEveryDays} days` : 'none'}`);
  const last = parseTime(s.lastSuccess?.at);
  lines.push(`- Last rotation: ${last !== undefined && s.lastSuccess ? `${escapeMarkdown(s.lastSuccess.at)} (${relativeTime(last, now)})` : 'none recorded'}`);
  if (s.expiresAt !== undefined) lines.push(`- Expires: ${new Date(s.expiresAt).toISOString()}`);
  if (s.state === 'failed' && s.lastAttempt?.error) lines.push(`- Last attempt (${s.lastAttempt.outcome}): ${escapeMarkdown(s.lastAttempt.error)}`);
  if (s.state === 'interrupted') lines.push('- An interrupted rotation waits: run **Resume Interrupted Rotation**.');
  lines.push('', 'Targets:');
  for (const tg of t.targets) lines.push(`- ${escapeMarkdown(targetLabel(tg.file, tg.key))} (${FIELD_LABELS[targetField(t, tg)]})`);
  return lines.join('\n');
}

function tokenNode(folder: FolderInfo, t: TokenConfig, input: TreeInput, summary: ReturnType<typeof summariseHistory>): TokenNode {
  const k = historyKey(folder.path, t.name);
  const s = tokenStatus(t, summary.success.get(k), summary.attempt.get(k), {
    now: input.now,
    reminderDays: input.reminderDays,
    rotating: input.rotating.has(k),
    interrupted: input.interrupted.has(k),
  });
  const id = `token:${folder.path}\u0000${t.name}`;
  const children: TargetNode[] = t.targets.map((tg, i) => {
    const field = targetField(t, tg);
    return {
      type: 'target',
      id: `${id}\u0000target:${i}`,
      label: targetLabel(tg.file, tg.key),
      description: t.kind === 'access-service-token' ? FIELD_LABELS[field] : undefined,
      tooltip: `${escapeMarkdown(tg.file)} › ${escapeMarkdown(tg.key)}\n\nReceives the ${FIELD_LABELS[field]} of **${escapeMarkdown(t.name)}**. Click to open the file at this variable.`,
      contextValue: 'target',
      icon: { id: 'symbol-variable' },
      folder: folder.path,
      token: t.name,
      file: tg.file,
      key: tg.key,
      field,
      command: { command: COMMANDS.revealTarget, title: 'Reveal Target', arguments: [{ folder: folder.path, file: tg.file, key: tg.key }] },
    };
  });
  const color = STATE_COLORS[s.state];
  return {
    type: 'token',
    id,
    label: t.name,
    description: tokenDescription(t.kind, s, input.now),
    tooltip: tokenTooltip(folder.name, t, s, input.now, input.credentialProfiles ? input.credentialProfiles.has(t.profile) : undefined),
    contextValue: tokenContextValue(t.kind, s.state),
    icon: { id: s.state === 'rotating' ? 'sync~spin' : s.state === 'interrupted' ? 'warning' : KIND_ICONS[t.kind], ...(color ? { color } : {}) },
    folder: folder.path,
    folderName: folder.name,
    name: t.name,
    kind: t.kind,
    profile: t.profile,
    state: s.state,
    due: s.due,
    children,
  };
}

export const MAX_ISSUE_NODES = 50;

function configErrorNodes(f: Extract<FolderConfigState, { status: 'error' }>): MessageNode[] {
  const issues = f.issues.length > 0 ? f.issues : [{ path: '(file)', message: f.message }];
  const nodes: MessageNode[] = issues.slice(0, MAX_ISSUE_NODES).map((issue, i) => ({
    type: 'message',
    severity: 'error',
    id: `issue:${f.folder.path}\u0000${i}`,
    label: issue.path === '(file)' || issue.path === '(root)' ? 'cf-rotate.json' : issue.path,
    description: issue.message,
    tooltip: `**cf-rotate.json is invalid**\n\n${escapeMarkdown(issue.path)}: ${escapeMarkdown(issue.message)}\n\nClick to open the configuration at this place.`,
    contextValue: 'message.configError',
    icon: { id: 'error', color: 'errorForeground' },
    folder: f.folder.path,
    path: issue.path,
    command: { command: COMMANDS.openConfig, title: 'Open Configuration', arguments: [{ folder: f.folder.path, path: issue.path }] },
  }));
  if (issues.length > MAX_ISSUE_NODES) {
    nodes.push({
      type: 'message',
      severity: 'error',
      id: `issue:${f.folder.path}\u0000more`,
      label: `…and ${issues.length - MAX_ISSUE_NODES} more problems`,
      contextValue: 'message.configError',
      icon: { id: 'error', color: 'errorForeground' },
      folder: f.folder.path,
      command: { command: COMMANDS.openConfig, title: 'Open Configuration', arguments: [{ folder: f.folder.path }] },
    });
  }
  return nodes;
}

function missingCredentialNodes(input: TreeInput): MessageNode[] {
  if (!input.credentialProfiles) return [];
  const missing = new Set<string>();
  for (const f of input.folders) if (f.status === 'ok') for (const t of f.tokens) if (!input.credentialProfiles.has(t.profile)) missing.add(t.profile);
  return [...missing].sort().map((profile) => ({
    type: 'message',
    severity: 'warning',
    id: `nocred:${profile}`,
    label: `No Cloudflare credential for profile "${profile}"`,
    description: 'click to set it',
    tooltip: `Tokens of profile **${escapeMarkdown(profile)}** cannot be rotated until an admin credential is set.\n\nClick to run **Set Credential**.`,
    contextValue: 'message.noCredential',
    icon: { id: 'warning', color: 'list.warningForeground' },
    command: { command: COMMANDS.setCredential, title: 'Set Credential', arguments: [{ profile }] },
  }));
}

function folderChildren(f: FolderConfigState, input: TreeInput, summary: ReturnType<typeof summariseHistory>, grouped: boolean): TreeNode[] {
  if (f.status === 'error') return configErrorNodes(f);
  if (f.status === 'missing') return [];
  if (f.tokens.length === 0) {
    // Single folder: stay empty so the view's welcome content ("Add Token") shows.
    if (!grouped) return [];
    return [
      {
        type: 'message',
        severity: 'info',
        id: `notokens:${f.folder.path}`,
        label: 'No tokens yet',
        description: 'click to add one',
        contextValue: 'message.noTokens',
        icon: { id: 'add' },
        folder: f.folder.path,
        command: { command: COMMANDS.addToken, title: 'Add Token', arguments: [{ folder: f.folder.path }] },
      },
    ];
  }
  return f.tokens.map((t) => tokenNode(f.folder, t, input, summary));
}

/** The root nodes of the tree. */
export function buildTree(input: TreeInput): TreeNode[] {
  const summary = summariseHistory(input.history);
  const present = input.folders.filter((f) => f.status !== 'missing');
  const grouped = input.workspaceFolderCount > 1;
  const roots: TreeNode[] = [];
  const anyTokens = present.some((f) => f.status === 'ok' && f.tokens.length > 0);
  if (anyTokens) roots.push(...missingCredentialNodes(input));
  if (!grouped) {
    for (const f of present) roots.push(...folderChildren(f, input, summary, false));
    return roots;
  }
  for (const f of present) {
    const children = folderChildren(f, input, summary, true);
    roots.push({
      type: 'folder',
      id: `folder:${f.folder.path}`,
      label: f.folder.name,
      description: f.status === 'error' ? 'cf-rotate.json is invalid' : f.status === 'ok' ? `${f.tokens.length} token${f.tokens.length === 1 ? '' : 's'}` : undefined,
      tooltip: `${escapeMarkdown(f.folder.path)}\n\nConfiguration: ${escapeMarkdown(f.configPath)}`,
      contextValue: f.status === 'error' ? 'folder.error' : 'folder',
      icon: { id: f.status === 'error' ? 'error' : 'root-folder', ...(f.status === 'error' ? { color: 'errorForeground' } : {}) },
      folder: f.folder.path,
      folderName: f.folder.name,
      children,
    });
  }
  return roots;
}

/** All token nodes in the tree, depth first. */
export function tokenNodes(roots: readonly TreeNode[]): TokenNode[] {
  const out: TokenNode[] = [];
  const walk = (nodes: readonly TreeNode[]): void => {
    for (const n of nodes) {
      if (n.type === 'token') out.push(n);
      else if (n.type === 'folder') walk(n.children);
    }
  };
  walk(roots);
  return out;
}

/** Tokens that are due (soon or overdue), from the built tree. */
export function dueTokens(roots: readonly TreeNode[]): TokenNode[] {
  return tokenNodes(roots).filter((t) => t.due.state === 'overdue' || t.due.state === 'due-soon');
}

/** Text of the status-bar reminder, or undefined when nothing is due. */
export function reminderText(roots: readonly TreeNode[]): { text: string; tooltip: string; overdue: number; dueSoon: number } | undefined {
  const due = dueTokens(roots);
  if (due.length === 0) return undefined;
  const overdue = due.filter((t) => t.due.state === 'overdue').length;
  const dueSoon = due.length - overdue;
  const names = due.slice(0, 10).map((t) => `${t.name} (${t.due.state === 'overdue' ? 'overdue' : 'due soon'})`);
  const more = due.length > 10 ? `\n…and ${due.length - 10} more` : '';
  return {
    text: `$(key) ${due.length} due`,
    tooltip: `Cloudflare Rotate: ${due.length} token${due.length === 1 ? '' : 's'} to rotate\n${names.join('\n')}${more}\nClick to rotate the due tokens.`,
    overdue,
    dueSoon,
  };
}
