/**
 * The token tree as plain data, built without VS Code (unit-tested). `tree.ts` turns these
 * nodes into TreeItems; commands receive them as arguments. No node ever holds a secret:
 * only names, ids, file names and variable names. Token and target tooltips are built on
 * demand (`nodeTooltip`, on hover), not with the tree: a 1,000-token tree needs none of them
 * to paint.
 */
import * as l10n from '@vscode/l10n';
import type { ConfigIssue } from '../core/config/load';
import { isFileTarget, targetField, targetLabel as configTargetLabel, type SecretField, type TargetConfig, type TokenConfig, type TokenKind } from '../core/config/schema';
import { destinationRef, destinationType, destinationWhere, DESTINATION_EFFECTS, type DestinationRef, type DestinationType } from '../core/destinations';
import { historyKey, lossKillsValue, type HistoryEntry } from '../core/history';
import { dueInfo, elapsedText, isDue, relativeTime, type DueInfo } from '../core/schedule';
import { formatInstant, plural } from '../core/l10n';
import { plain } from '../core/text';
import { COMMANDS } from '../constants';
import { credentialNodes, retirementNote, type CredentialInfo, type RetirementInfo } from './credentialNodes';

export type { CredentialInfo, RetirementInfo } from './credentialNodes';

export interface FolderInfo {
  /** Absolute file-system path of the workspace folder. */
  path: string;
  name: string;
}

export type FolderConfigState =
  | { folder: FolderInfo; status: 'missing'; configPath: string }
  | { folder: FolderInfo; status: 'ok'; configPath: string; tokens: TokenConfig[] }
  | {
      folder: FolderInfo;
      status: 'error';
      configPath: string;
      message: string;
      issues: ConfigIssue[];
      /** editor-ux: the tokens of the last valid version (shown under the problems; not rotatable). */
      lastValid?: TokenConfig[];
    };

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
  /** Markdown. Token and target nodes have none here: `nodeTooltip` builds theirs on demand. */
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
  /** What `nodeTooltip` needs later: the token's configuration (names and ids, never a secret) and status. */
  config: TokenConfig;
  status: TokenStatus;
  /** `now` of the build: relative times in the tooltip match the description. */
  builtAt: number;
  /** Whether the token's profile has a stored credential; undefined while unknown. */
  hasCredential: boolean | undefined;
  /** From the last valid version of a cf-rotate.json that is invalid now: shown, not rotatable. */
  stale?: boolean;
  children: TargetNode[];
}

interface TargetNodeBase extends NodeBase {
  type: 'target';
  folder: string;
  token: string;
  field: SecretField;
  /** Tooltip text built with the tree (names and ids only). */
  where?: string;
  /** `pending`: an interrupted rotation holds a new secret not yet written here. */
  targetState: 'ok' | 'pending';
}

/** A .env-style file target (contextValue `target`). */
export interface FileTargetNode extends TargetNodeBase {
  file: string;
  key: string;
  destination?: undefined;
}

/** A destination beside the files (contextValue `target.worker`, `target.pages`, `target.secrets-store`, `target.github`). */
export interface DestinationTargetNode extends TargetNodeBase {
  destination: DestinationRef;
  file?: undefined;
  /** The secret's name there (none for a Secrets Store secret, which is named by its id). */
  key?: string | undefined;
}

export type TargetNode = FileTargetNode | DestinationTargetNode;

export interface MessageNode extends NodeBase {
  type: 'message';
  severity: 'error' | 'warning' | 'info';
  /** The workspace folder the message is about (context-menu commands receive the node). */
  folder?: string;
  /** Config errors: the JSON path of the problem (`openConfig` reveals it). */
  path?: string;
}

/** A stored admin credential (one per profile): its scheme, the API token's own expiry and age, a pending retirement. */
export interface CredentialNode extends NodeBase {
  type: 'credential';
  profile: string;
}

export type TreeNode = FolderNode | TokenNode | TargetNode | MessageNode | CredentialNode;

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
  /** Pending retirements (replace, OAuth clients, admin credentials): shown on their token and credential nodes. */
  retirements?: readonly RetirementInfo[];
  /** The stored admin credentials, shown as nodes above the tokens when given. */
  credentials?: readonly CredentialInfo[];
  /** `historyKey(folder, name)` → labels of the targets an interrupted rotation has not written yet. */
  pendingTargets?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** The kinds in words, in the display language (getters: translated when read, not when loaded). */
export const KIND_LABELS: Readonly<Record<TokenKind, string>> = {
  get 'account-api-token'() {
    return l10n.t('Account API token');
  },
  get 'user-api-token'() {
    return l10n.t('User API token');
  },
  get 'access-service-token'() {
    return l10n.t('Access service token');
  },
  get 'moq-relay-token'() {
    return l10n.t('MoQ relay token');
  },
  get 'turnstile-secret'() {
    return l10n.t('Turnstile widget secret');
  },
  get 'oauth-client-secret'() {
    return l10n.t('OAuth client secret');
  },
};

export const KIND_ICONS: Record<TokenKind, string> = {
  'account-api-token': 'key',
  'user-api-token': 'account',
  'access-service-token': 'shield',
  'moq-relay-token': 'broadcast',
  'turnstile-secret': 'verified',
  'oauth-client-secret': 'lock',
};

export const STATE_COLORS: Partial<Record<TokenState, string>> = {
  due: 'charts.yellow',
  overdue: 'charts.red',
  failed: 'errorForeground',
  rotating: 'charts.blue',
  interrupted: 'list.warningForeground',
};

const FIELD_LABELS: Readonly<Record<SecretField, string>> = {
  get token() {
    return l10n.t('token');
  },
  get clientId() {
    return l10n.t('client ID');
  },
  get clientSecret() {
    return l10n.t('client secret');
  },
  get r2AccessKeyId() {
    return l10n.t('R2 access key ID');
  },
  get r2SecretAccessKey() {
    return l10n.t('R2 secret access key');
  },
};

export function tokenContextValue(kind: TokenKind, state: TokenState): string {
  return `token.${kind}.${state}`;
}

type PerKindAndState<T> = Record<TokenKind, Record<TokenState, T>>;

function perKindAndState<T>(f: (kind: TokenKind, state: TokenState) => T): PerKindAndState<T> {
  const out = {} as PerKindAndState<T>;
  for (const kind of Object.keys(KIND_LABELS) as TokenKind[]) {
    const row = {} as Record<TokenState, T>;
    for (const state of TOKEN_STATES) row[state] = f(kind, state);
    out[kind] = row;
  }
  return out;
}

/** The tree builds these for every token: one shared (frozen) copy per kind and state instead. */
const TOKEN_CONTEXT_VALUES = perKindAndState(tokenContextValue);
const TOKEN_ICONS = perKindAndState((kind, state): NodeIcon => {
  const id = state === 'rotating' ? 'sync~spin' : state === 'interrupted' ? 'warning' : KIND_ICONS[kind];
  const color = STATE_COLORS[state];
  return Object.freeze(color ? { id, color } : { id });
});
/** A rotating row that does not spin (see SPINNING_ROWS_MAX). */
const STILL_ROTATING_ICON: NodeIcon = Object.freeze({ id: 'sync', color: STATE_COLORS.rotating as string });

/**
 * Rotating rows spin while at most this many tokens rotate (one rotation, a small batch); in a
 * larger batch they show a still icon with "rotating…", and the batch's notification shows the
 * progress. A hundred spinning rows kept the workbench's renderer and GPU process busy for the
 * whole batch (~0.4 s and ~0.2 s of CPU in a 2 s batch on two cores, which the extension host
 * shares).
 */
export const SPINNING_ROWS_MAX = 8;

/** Every context value the tree can produce (the manifest test checks menu `when` clauses against it). */
export function allContextValues(): string[] {
  const kinds = Object.keys(KIND_LABELS) as TokenKind[];
  const out = ['folder', 'folder.error', 'target', ...DESTINATION_TYPES.map((d) => `target.${d}`), 'message.configError', 'message.noCredential', 'message.noTokens', 'message.info', 'credential.api-token', 'credential.global-key'];
  for (const k of kinds) for (const s of TOKEN_STATES) out.push(tokenContextValue(k, s));
  return out;
}

/** `.env › CLOUDFLARE_API_TOKEN` — the same form the engine uses in results and history. */
export function targetLabel(file: string, key: string): string {
  return `${file} › ${key}`;
}

/** Escape text for a MarkdownString (no HTML, no links, no emphasis, no control or bidi characters from user data). */
export function escapeMarkdown(text: string): string {
  return plain(text).replace(MARKDOWN_SPECIAL, '\\$&');
}
const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+\-.!|<>~]/g;

export interface TokenStatus {
  state: TokenState;
  due: DueInfo;
  lastSuccess?: HistoryEntry | undefined;
  /** `lastSuccess.at` as epoch ms. */
  lastAt?: number | undefined;
  lastAttempt?: HistoryEntry | undefined;
  expiresAt?: number | undefined;
  /** The previous credential's pending retirement (replace, OAuth clients). */
  retirement?: RetirementInfo | undefined;
}

/** The latest entries of one token (rotation outcomes only). */
export interface TokenHistory {
  success: HistoryEntry | undefined;
  attempt: HistoryEntry | undefined;
  /** `success.at` and `success.expiresAt` as epoch ms, read once per summary (every rebuild of the tree needs them). */
  times?: SuccessTimes | undefined;
}

/** Folder path → token name → latest entries (no joined key string per entry and lookup). */
export type HistorySummary = Map<string, Map<string, TokenHistory>>;

/**
 * The summary of each history list the tree was given, kept while the list is: the tree rebuilds
 * from the same list many times without new data (relative times, the rotating states of a
 * batch). A list is never changed in place (`TreeInput.history` is read-only; a reload brings a new one).
 */
const summaries = new WeakMap<readonly HistoryEntry[], HistorySummary>();

function summaryOf(entries: readonly HistoryEntry[]): HistorySummary {
  let s = summaries.get(entries);
  if (s === undefined) summaries.set(entries, (s = summariseHistory(entries)));
  return s;
}

/** Latest entry per token: last success, last attempt (rotation outcomes only). */
export function summariseHistory(entries: readonly HistoryEntry[]): HistorySummary {
  const out: HistorySummary = new Map();
  for (const e of entries) {
    if (e.outcome === 'expired-previous' || e.outcome === 'retired') continue;
    const ok = e.outcome === 'rotated' || e.outcome === 'recovered';
    let folder = out.get(e.folder);
    if (!folder) out.set(e.folder, (folder = new Map()));
    const h = folder.get(e.name);
    if (!h) {
      folder.set(e.name, { success: ok ? e : undefined, attempt: e });
      continue;
    }
    // ISO strings of one format compare like the times they name.
    if (h.attempt === undefined || h.attempt.at < e.at) h.attempt = e;
    if (ok && (h.success === undefined || h.success.at < e.at)) h.success = e;
  }
  return out;
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
  return statusOf(token, lastSuccess, lastAttempt, opts.now, opts.reminderDays, opts.rotating, opts.interrupted, successTimes(lastSuccess));
}

/** A token's last success and its expiry, as epoch ms. */
interface SuccessTimes {
  at: number | undefined;
  expiresAt: number | undefined;
}

/** No success recorded: shared. */
const NO_TIMES: SuccessTimes = Object.freeze({ at: undefined, expiresAt: undefined });

function successTimes(lastSuccess: HistoryEntry | undefined): SuccessTimes {
  return lastSuccess === undefined ? NO_TIMES : { at: parseTime(lastSuccess.at), expiresAt: parseTime(lastSuccess.expiresAt) };
}

function statusOf(
  token: TokenConfig,
  lastSuccess: HistoryEntry | undefined,
  lastAttempt: HistoryEntry | undefined,
  now: number,
  reminderDays: number,
  rotating: boolean,
  interrupted: boolean,
  times: SuccessTimes,
): TokenStatus {
  const lastAt = times.at;
  const expiresAt = times.expiresAt;
  const due = dueInfo(token, lastAt, now, reminderDays, expiresAt);
  const failed = lastAttempt !== undefined && (lastAttempt.outcome === 'failed' || lastAttempt.outcome === 'lost') && (lastSuccess === undefined || lastSuccess.at < lastAttempt.at);
  let state: TokenState;
  if (rotating) state = 'rotating';
  else if (interrupted) state = 'interrupted';
  else if (failed) state = 'failed';
  else if (due.state === 'overdue') state = 'overdue';
  else if (due.state === 'due-soon') state = 'due';
  else if (due.state === 'unscheduled') state = 'unscheduled';
  else state = 'ok';
  return { state, due, lastSuccess, lastAt, lastAttempt, expiresAt };
}

function isApiToken(kind: TokenKind): boolean {
  return kind === 'account-api-token' || kind === 'user-api-token';
}

/** Where the argument goes in a one-argument message that is translated once (`Phrases`). */
const ARG = '\u0000';
/** The one-argument messages of every token's description. */
const ONE_ARG_MESSAGES = {
  rolled: () => l10n.t('rolled {0}', ARG),
  replaced: () => l10n.t('replaced {0}', ARG),
  rotated: () => l10n.t('rotated {0}', ARG),
  expires: () => l10n.t('expires {0}', ARG),
  expired: () => l10n.t('expired {0}', ARG),
  overdueBy: () => l10n.t('overdue by {0}', ARG),
  dueIn: () => l10n.t('due {0}', ARG),
};

/** `phrase('rolled', x)` is `l10n.t('rolled {0}', x)`; each message is translated on its first use only. */
export type Phrases = (message: keyof typeof ONE_ARG_MESSAGES, arg: string) => string;

/**
 * One-argument messages translated once and filled in by concatenation: the tree describes every
 * token with one or two of them, and l10n's formatting (a regular expression per call) was the
 * largest part of a rebuild of 1,000 tokens. One per build: the translation is that of the build.
 */
export function phrases(): Phrases {
  const parts = new Map<keyof typeof ONE_ARG_MESSAGES, string[]>();
  return (message, arg) => {
    let p = parts.get(message);
    if (p === undefined) parts.set(message, (p = ONE_ARG_MESSAGES[message]().split(ARG)));
    return p.length === 2 ? `${p[0] as string}${arg}${p[1] as string}` : p.join(arg);
  };
}

/**
 * Whether a token is due, in the words every place uses (tree, tooltips, status bar, the overdue
 * notification): "overdue by 3 d", "overdue (age unknown)" (scheduled, never rotated by
 * cf-rotate), "due in 2 d"; undefined when it is not due.
 */
export function dueText(due: DueInfo, now: number, phrase: Phrases = phrases()): string | undefined {
  if (due.state === 'overdue') {
    if (due.dueAt === undefined) return l10n.t('overdue (age unknown)');
    const by = elapsedText(due.dueAt, now);
    return by === undefined ? l10n.t('overdue') : phrase('overdueBy', by);
  }
  if (due.state === 'due-soon') return due.dueAt !== undefined ? phrase('dueIn', relativeTime(due.dueAt, now)) : l10n.t('due soon');
  return undefined;
}

/** "rolled 3 d ago · expires in 12 d", "replaced just now", "not rotated yet · overdue (age unknown)", "rotating…". */
export function tokenDescription(kind: TokenKind, s: TokenStatus, now: number, phrase: Phrases = phrases()): string {
  if (s.state === 'rotating') return l10n.t('rotating…');
  if (s.state === 'interrupted') return l10n.t('interrupted rotation · resume it');
  const last = lastRotatedAt(s);
  // An API token's last rotation was a roll, or with `strategy: "replace"` a twin (the history names its id).
  const replaced = s.lastSuccess?.tokenId !== undefined;
  let text =
    last === undefined
      ? l10n.t('not rotated yet')
      : phrase(isApiToken(kind) ? (replaced ? 'replaced' : 'rolled') : 'rotated', relativeTime(last, now));
  if (s.expiresAt !== undefined) text += ` · ${phrase(s.expiresAt > now ? 'expires' : 'expired', relativeTime(s.expiresAt, now))}`;
  if (s.state === 'failed') text += ` · ${s.lastAttempt?.outcome === 'lost' ? l10n.t('last rotation lost its secret') : l10n.t('last rotation failed')}`;
  const due = dueText(s.due, now, phrase);
  return due === undefined ? text : `${text} · ${due}`;
}

/** `lastSuccess.at` in epoch ms (a TokenStatus built by hand may lack `lastAt`). */
function lastRotatedAt(s: TokenStatus): number | undefined {
  if (s.lastSuccess === undefined) return undefined;
  return s.lastAt ?? parseTime(s.lastSuccess.at);
}

function tokenIds(t: TokenConfig): [string, string][] {
  switch (t.kind) {
    case 'account-api-token':
      return [[l10n.t('Account'), t.accountId], [l10n.t('Token ID'), t.tokenId], ...strategyRows(t)];
    case 'user-api-token':
      return [[l10n.t('Token ID'), t.tokenId], ...strategyRows(t)];
    case 'access-service-token':
      return [
        ...(t.accountId ? ([[l10n.t('Account'), t.accountId]] as [string, string][]) : []),
        ...(t.zoneId ? ([[l10n.t('Zone'), t.zoneId]] as [string, string][]) : []),
        [l10n.t('Service token ID'), t.serviceTokenId],
        [l10n.t('Grace period'), t.gracePeriod ?? l10n.t('default setting')],
      ];
    case 'moq-relay-token':
      return [[l10n.t('Account'), t.accountId], [l10n.t('Relay'), t.relayId], [l10n.t('Token type'), t.tokenType]];
    case 'turnstile-secret':
      return [[l10n.t('Account'), t.accountId], [l10n.t('Sitekey'), t.sitekey], [l10n.t('Previous secret'), t.invalidateImmediately === true ? l10n.t('invalidated at once') : l10n.t('valid 2 h after a rotation')]];
    case 'oauth-client-secret':
      return [[l10n.t('Account'), t.accountId], [l10n.t('OAuth client ID'), t.clientId], [l10n.t('Overlap'), t.overlap ?? '24h']];
  }
}

function strategyRows(t: { strategy?: 'roll' | 'replace' | undefined; overlap?: string | undefined }): [string, string][] {
  return t.strategy === 'replace'
    ? [[l10n.t('Strategy'), l10n.t('replace (previous token deleted {0} after the twin is in place)', t.overlap ?? '24h')]]
    : [[l10n.t('Strategy'), l10n.t('roll (the old value dies at once)')]];
}

export function tokenTooltip(folderName: string, t: TokenConfig, s: TokenStatus, now: number, hasCredential: boolean | undefined): string {
  const lines: string[] = [];
  lines.push(`**${escapeMarkdown(t.name)}** — ${KIND_LABELS[t.kind]}`);
  if (t.description) lines.push('', escapeMarkdown(t.description));
  lines.push('');
  lines.push(`- ${l10n.t('Folder: {0}', escapeMarkdown(folderName))}`);
  lines.push(`- ${hasCredential === false ? l10n.t('Profile: {0} (no credential set)', escapeMarkdown(t.profile)) : l10n.t('Profile: {0}', escapeMarkdown(t.profile))}`);
  for (const [k, v] of tokenIds(t)) lines.push(`- ${k}: ${escapeMarkdown(v)}`);
  const due = dueText(s.due, now);
  const every = t.rotateEveryDays !== undefined ? plural(t.rotateEveryDays, l10n.t('every {0} day', t.rotateEveryDays), l10n.t('every {0} days', t.rotateEveryDays)) : undefined;
  lines.push(
    `- ${
      every === undefined ? (due === undefined ? l10n.t('Schedule: none') : l10n.t('Schedule: none ({0})', due)) : due === undefined ? l10n.t('Schedule: {0}', every) : l10n.t('Schedule: {0} ({1})', every, due)
    }`,
  );
  const last = lastRotatedAt(s);
  // Instants in the display language (ISO 8601 where none is configured).
  lines.push(`- ${last !== undefined && s.lastSuccess ? l10n.t('Last rotation: {0} ({1})', escapeMarkdown(formatInstant(last)), relativeTime(last, now)) : l10n.t('Last rotation: none recorded')}`);
  if (s.expiresAt !== undefined) lines.push(`- ${l10n.t('Expires: {0}', formatInstant(s.expiresAt))}`);
  if (s.state === 'failed' && s.lastAttempt?.error) lines.push(`- ${l10n.t('Last attempt ({0}): {1}', s.lastAttempt.outcome, escapeMarkdown(s.lastAttempt.error))}`);
  if (s.state === 'interrupted') lines.push(`- ${l10n.t('An interrupted rotation waits: run **Cloudflare Rotate: Resume Interrupted Rotation…**.')}`);
  if (s.retirement) lines.push(`- ${escapeMarkdown(retirementNote(s.retirement, now, true))}`);
  lines.push('', l10n.t('Targets:'));
  for (const tg of t.targets) lines.push(`- ${escapeMarkdown(configTargetLabel(tg))} (${FIELD_LABELS[targetField(t, tg)]})`);
  return lines.join('\n');
}

/** Markdown tooltip of a target node. */
export function targetTooltip(n: TargetNode): string {
  const pending = n.targetState === 'pending' ? `\n\n${l10n.t('An interrupted rotation has not written the new secret here yet: run **Resume Interrupted Rotation**.')}` : '';
  if (n.destination === undefined) {
    return `${escapeMarkdown(n.file)} › ${escapeMarkdown(n.key)}\n\n${l10n.t('Receives the {0} of **{1}**. Click to open the file at this variable.', FIELD_LABELS[n.field], escapeMarkdown(n.token))}${pending}`;
  }
  const type = n.destination.type;
  return `${escapeMarkdown(n.where ?? n.label)}\n\n${l10n.t('Receives the {0} of **{1}**: {2}. Click to open its settings page in the browser.', FIELD_LABELS[n.field], escapeMarkdown(n.token), escapeMarkdown(DESTINATION_EFFECTS[type]))}${pending}`;
}

/** The Markdown tooltip of any node: token and target tooltips are built here, on demand (hover). */
export function nodeTooltip(n: TreeNode): string | undefined {
  switch (n.type) {
    case 'token': {
      const tip = tokenTooltip(n.folderName, n.config, n.status, n.builtAt, n.hasCredential);
      return n.stale ? `${tip}\n\n${l10n.t('**From the last valid version of cf-rotate.json.** The file is invalid now: fix it to rotate this token.')}` : tip;
    }
    case 'target':
      return targetTooltip(n);
    default:
      return n.tooltip;
  }
}

const TARGET_ICON: NodeIcon = Object.freeze({ id: 'symbol-variable' });
const DESTINATION_TYPES: readonly DestinationType[] = ['worker', 'pages', 'secrets-store', 'github'];
/** Codicons of the destinations. */
export const DESTINATION_ICONS: Record<DestinationType, string> = { worker: 'cloud', pages: 'globe', 'secrets-store': 'lock', github: 'github' };
const DESTINATION_LABELS: Readonly<Record<DestinationType, string>> = {
  get worker() {
    return l10n.t('Worker secret');
  },
  get pages() {
    return l10n.t('Pages secret');
  },
  get 'secrets-store'() {
    return l10n.t('Secrets Store');
  },
  get github() {
    return l10n.t('GitHub Actions secret');
  },
};
const TARGET_ICONS = new Map<string, NodeIcon>();
function targetIcon(type: DestinationType | 'file', pending: boolean): NodeIcon {
  const k = `${type}\u0000${pending}`;
  let icon = TARGET_ICONS.get(k);
  if (!icon) {
    const id = type === 'file' ? TARGET_ICON.id : DESTINATION_ICONS[type];
    icon = Object.freeze(pending ? { id, color: 'list.warningForeground' } : { id });
    TARGET_ICONS.set(k, icon);
  }
  return icon;
}

/** Words every node of one build shares: translated once per build, not once per node. */
interface BuildWords {
  revealTarget: string;
  notWrittenYet: string;
  phrase: Phrases;
}

function buildWords(): BuildWords {
  return { revealTarget: l10n.t('Reveal Target'), notWrittenYet: l10n.t('not written yet'), phrase: phrases() };
}

/** "a · b" of the parts that are there (the tree builds one per target: no array). */
function joinParts(a: string | undefined, b: string | undefined): string | undefined {
  return a === undefined ? b : b === undefined ? a : `${a} · ${b}`;
}

function targetNode(folder: FolderInfo, t: TokenConfig, tg: TargetConfig, i: number, tokenId: string, service: boolean, pendingLabels: ReadonlySet<string> | undefined, words: BuildWords): TargetNode {
  const field = targetField(t, tg);
  const label = configTargetLabel(tg);
  const pending = pendingLabels !== undefined && pendingLabels.has(label);
  const id = `${tokenId}\u0000target:${i}`;
  const fieldLabel = service ? FIELD_LABELS[field] : undefined;
  const pendingNote = pending ? words.notWrittenYet : undefined;
  if (isFileTarget(tg)) {
    return {
      type: 'target',
      id,
      folder: folder.path,
      token: t.name,
      field,
      targetState: pending ? 'pending' : 'ok',
      label,
      description: joinParts(fieldLabel, pendingNote) || undefined,
      contextValue: 'target',
      icon: pending ? targetIcon('file', true) : TARGET_ICON,
      file: tg.file,
      key: tg.key,
      command: { command: COMMANDS.revealTarget, title: words.revealTarget, arguments: [{ folder: folder.path, file: tg.file, key: tg.key }] },
    };
  }
  const type = destinationType(tg);
  const ref = destinationRef(t, tg);
  const node: DestinationTargetNode = {
    type: 'target',
    id,
    folder: folder.path,
    token: t.name,
    field,
    targetState: pending ? 'pending' : 'ok',
    label,
    description: joinParts(joinParts(DESTINATION_LABELS[type], fieldLabel), pendingNote) ?? '',
    contextValue: `target.${type}`,
    icon: targetIcon(type, pending),
    where: destinationWhere(t, tg),
    destination: ref ?? { type: 'github', github: '' },
  };
  if ('key' in tg) node.key = tg.key;
  if (ref) node.command = { command: COMMANDS.revealTarget, title: words.revealTarget, arguments: [{ folder: folder.path, destination: ref }] };
  return node;
}

function tokenNode(folder: FolderInfo, t: TokenConfig, input: TreeInput, history: ReadonlyMap<string, TokenHistory> | undefined, words: BuildWords): TokenNode {
  const h = history?.get(t.name);
  const rotating = input.rotating.size > 0 && input.rotating.has(historyKey(folder.path, t.name));
  const interrupted = input.interrupted.size > 0 && input.interrupted.has(historyKey(folder.path, t.name));
  const times = h === undefined ? NO_TIMES : (h.times ??= successTimes(h.success));
  const s = statusOf(t, h?.success, h?.attempt, input.now, input.reminderDays, rotating, interrupted, times);
  const retiring = input.retirements !== undefined && input.retirements.length > 0 ? input.retirements.find((r) => !r.admin && r.folder === folder.path && r.name === t.name) : undefined;
  if (retiring) s.retirement = retiring;
  const id = `token:${folder.path}\u0000${t.name}`;
  const service = t.kind === 'access-service-token';
  const n = t.targets.length;
  const children: TargetNode[] = new Array<TargetNode>(n);
  const pendingLabels = input.pendingTargets !== undefined && input.pendingTargets.size > 0 ? input.pendingTargets.get(historyKey(folder.path, t.name)) : undefined;
  for (let i = 0; i < n; i++) children[i] = targetNode(folder, t, t.targets[i] as TargetConfig, i, id, service, pendingLabels, words);
  const description = tokenDescription(t.kind, s, input.now, words.phrase);
  return {
    type: 'token',
    id,
    label: t.name,
    description: retiring && s.state !== 'rotating' && s.state !== 'interrupted' ? `${description} · ${retirementNote(retiring, input.now)}` : description,
    contextValue: TOKEN_CONTEXT_VALUES[t.kind][s.state],
    icon: s.state === 'rotating' && input.rotating.size > SPINNING_ROWS_MAX ? STILL_ROTATING_ICON : TOKEN_ICONS[t.kind][s.state],
    folder: folder.path,
    folderName: folder.name,
    name: t.name,
    kind: t.kind,
    profile: t.profile,
    state: s.state,
    due: s.due,
    config: t,
    status: s,
    builtAt: input.now,
    hasCredential: input.credentialProfiles ? input.credentialProfiles.has(t.profile) : undefined,
    children,
  };
}

export const MAX_ISSUE_NODES = 50;

/** The tooltip of a configuration problem (Markdown). */
function issueTooltip(issue: { path: string; message: string }): string {
  const where = issue.path === '(file)' ? `cf-rotate.json ${escapeMarkdown(issue.message)}` : `${escapeMarkdown(issue.path)}: ${escapeMarkdown(issue.message)}`;
  return [`**${l10n.t('cf-rotate.json is invalid')}**`, where, l10n.t('Click to open the configuration at this place.')].join('\n\n');
}

function configErrorNodes(f: Extract<FolderConfigState, { status: 'error' }>): MessageNode[] {
  const issues = f.issues.length > 0 ? f.issues : [{ path: '(file)', message: f.message }];
  const nodes: MessageNode[] = issues.slice(0, MAX_ISSUE_NODES).map((issue, i) => ({
    type: 'message',
    severity: 'error',
    id: `issue:${f.folder.path}\u0000${i}`,
    label: issue.path === '(file)' || issue.path === '(root)' ? 'cf-rotate.json' : issue.path,
    description: issue.message,
    tooltip: issueTooltip(issue),
    contextValue: 'message.configError',
    icon: { id: 'error', color: 'errorForeground' },
    folder: f.folder.path,
    path: issue.path,
    command: { command: COMMANDS.openConfig, title: l10n.t('Open Configuration'), arguments: [{ folder: f.folder.path, path: issue.path }] },
  }));
  if (issues.length > MAX_ISSUE_NODES) {
    nodes.push({
      type: 'message',
      severity: 'error',
      id: `issue:${f.folder.path}\u0000more`,
      label: plural(issues.length - MAX_ISSUE_NODES, l10n.t('…and {0} more problem', issues.length - MAX_ISSUE_NODES), l10n.t('…and {0} more problems', issues.length - MAX_ISSUE_NODES)),
      contextValue: 'message.configError',
      icon: { id: 'error', color: 'errorForeground' },
      folder: f.folder.path,
      command: { command: COMMANDS.openConfig, title: l10n.t('Open Configuration'), arguments: [{ folder: f.folder.path }] },
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
    label: l10n.t('No Cloudflare credential for profile "{0}"', profile),
    description: l10n.t('click to set it'),
    tooltip: l10n.t('Tokens of profile **{0}** cannot be rotated until an admin credential is set.\n\nClick to run **Set Credential**.', escapeMarkdown(profile)),
    contextValue: 'message.noCredential',
    icon: { id: 'warning', color: 'list.warningForeground' },
    command: { command: COMMANDS.setCredential, title: l10n.t('Set Credential'), arguments: [{ profile }] },
  }));
}

// editor-ux: while cf-rotate.json is invalid (a half-typed file), the tokens of its last valid version stay visible under the problems.
// LAST_VALID_NOTE is the English text (tests compare it); the tree shows it translated.
export const LAST_VALID_NOTE = 'from the last valid version';

function lastValidNodes(f: Extract<FolderConfigState, { status: 'error' }>, input: TreeInput, summary: HistorySummary, words: BuildWords): TokenNode[] {
  if (!f.lastValid || f.lastValid.length === 0) return [];
  const history = summary.get(f.folder.path);
  return f.lastValid.map((t) => {
    const n = tokenNode(f.folder, t, input, history, words);
    // Same id as in the valid tree: expansion and selection survive a save of a half-typed file.
    return { ...n, description: [l10n.t('from the last valid version'), n.description ?? ''].join(' · '), stale: true };
  });
}
// editor-ux: end

function folderChildren(f: FolderConfigState, input: TreeInput, summary: HistorySummary, grouped: boolean, words: BuildWords): TreeNode[] {
  if (f.status === 'error') return [...configErrorNodes(f), ...lastValidNodes(f, input, summary, words)];
  if (f.status === 'missing') return [];
  if (f.tokens.length === 0) {
    // Single folder: stay empty so the view's welcome content ("Add Token") shows.
    if (!grouped) return [];
    return [
      {
        type: 'message',
        severity: 'info',
        id: `notokens:${f.folder.path}`,
        label: l10n.t('No tokens yet'),
        description: l10n.t('click to add one'),
        contextValue: 'message.noTokens',
        icon: { id: 'add' },
        folder: f.folder.path,
        command: { command: COMMANDS.addToken, title: l10n.t('Add Token'), arguments: [{ folder: f.folder.path }] },
      },
    ];
  }
  const history = summary.get(f.folder.path);
  const out = new Array<TreeNode>(f.tokens.length);
  for (let i = 0; i < f.tokens.length; i++) out[i] = tokenNode(f.folder, f.tokens[i] as TokenConfig, input, history, words);
  return out;
}

/** The root nodes of the tree. */
export function buildTree(input: TreeInput): TreeNode[] {
  const summary = summaryOf(input.history);
  const words = buildWords();
  const present = input.folders.filter((f) => f.status !== 'missing');
  const grouped = input.workspaceFolderCount > 1;
  const roots: TreeNode[] = [];
  const anyTokens = present.some((f) => f.status === 'ok' && f.tokens.length > 0);
  if (input.credentials && input.credentials.length > 0) roots.push(...credentialNodes(input.credentials, input.retirements ?? [], input.now));
  if (anyTokens) roots.push(...missingCredentialNodes(input));
  if (!grouped) {
    for (const f of present) for (const n of folderChildren(f, input, summary, false, words)) roots.push(n);
    return roots;
  }
  for (const f of present) {
    const children = folderChildren(f, input, summary, true, words);
    roots.push({
      type: 'folder',
      id: `folder:${f.folder.path}`,
      label: f.folder.name,
      description: f.status === 'error' ? l10n.t('cf-rotate.json is invalid') : f.status === 'ok' ? plural(f.tokens.length, l10n.t('{0} token', f.tokens.length), l10n.t('{0} tokens', f.tokens.length)) : undefined,
      tooltip: [escapeMarkdown(f.folder.path), l10n.t('Configuration: {0}', escapeMarkdown(f.configPath))].join('\n\n'),
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
  return tokenNodes(roots).filter((t) => isDue(t.due));
}

/**
 * What Rotate Due rotates: the due tokens, and those whose last rotation lost its secret where
 * that leaves the files with a value Cloudflare stops accepting (whatever their schedule says).
 */
export function tokensToRotateWhenDue(roots: readonly TreeNode[]): TokenNode[] {
  return tokenNodes(roots).filter((t) => isDue(t.due) || (t.state === 'failed' && t.status.lastAttempt?.outcome === 'lost' && lossKillsValue(t.kind)));
}

/** "1 overdue", "2 due soon", "1 overdue · 2 due soon": the counts, in the words `dueText` uses. */
export function dueCounts(overdue: number, dueSoon: number): string {
  return [overdue > 0 ? l10n.t('{0} overdue', overdue) : undefined, dueSoon > 0 ? l10n.t('{0} due soon', dueSoon) : undefined].filter(Boolean).join(' · ');
}

/** Text of the status-bar reminder, or undefined when nothing is due. */
export function reminderText(roots: readonly TreeNode[]): { text: string; tooltip: string; overdue: number; dueSoon: number } | undefined {
  const due = dueTokens(roots);
  if (due.length === 0) return undefined;
  const overdue = due.filter((t) => t.due.state === 'overdue').length;
  const dueSoon = due.length - overdue;
  const names = due.slice(0, 10).map((t) => `${t.name}: ${dueText(t.due, t.builtAt) ?? l10n.t('due')}`);
  const more = due.length > 10 ? `\n${l10n.t('…and {0} more', due.length - 10)}` : '';
  return {
    text: `$(key) ${dueCounts(overdue, dueSoon)}`,
    tooltip: [`Cloudflare Rotate: ${dueCounts(overdue, dueSoon)}`, ...names, ...(more ? [more.slice(1)] : []), l10n.t('Click to rotate the due tokens (Rotate Due Tokens…).')].join('\n'),
    overdue,
    dueSoon,
  };
}
