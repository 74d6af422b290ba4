/**
 * Keeps the tree, the status-bar reminder, the view badge and the context keys in step with
 * configs, history, journals and stored credentials.
 */
import * as vscode from 'vscode';
import { adminTokenName, journalLabels } from '../core/engine/housekeeping';
import type { JournalEntry } from '../core/engine/journal';
import { historyKey } from '../core/history';
import { toCfRotateError } from '../core/errors';
import { markWithCpu, phase } from '../core/perf';
import { plural } from '../core/l10n';
import { notification } from '../core/text';
import type { HostServices } from '../host/services';
import { COMMANDS, CONTEXT, VIEWS, WALKTHROUGH_CONTEXT } from '../constants';
import { reminderText, tokenNodes, type CredentialInfo, type RetirementInfo, type TreeNode } from './model';
import { ReminderStatus, RetirementStatus } from './statusBar';
import type { Retirement } from '../core/retire';
import { schemesOf } from '../core/cloudflare/types';
import type { HistoryEntry } from '../core/history';
import { samePath } from '../host/paths';
import { TokenTreeProvider, type TreeData } from './tree';

const TICK_MS = 10 * 60_000;

export class ViewController implements vscode.Disposable {
  readonly tree = new TokenTreeProvider();
  private readonly status: ReminderStatus;
  private readonly retiring: RetirementStatus;
  private readonly disposables: vscode.Disposable[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private overdueNotified = false;
  private readonly contextValues = new Map<string, boolean>();
  /** The rebuild the configurations' last change started (see refresh). */
  private afterConfigs: Promise<void> | undefined;
  /** The credential profiles of the last rebuild (the tree is first drawn with these, then corrected). */
  private profiles: string[] | undefined;
  /** The credential nodes of the last rebuild (drawn first, then corrected like the profiles). */
  private credentialNodes: CredentialInfo[] | undefined;
  /** What the walkthrough's steps count as done now (pulsed into WALKTHROUGH_CONTEXT). */
  private walkthrough: Record<keyof typeof WALKTHROUGH_CONTEXT, boolean> = { credential: false, config: false, tokens: false, rotated: false };
  private pulseTimer: ReturnType<typeof setTimeout> | undefined;
  private pulsing = false;

  /** `treeView`: the Tokens view the activation shell created (its provider forwards to `tree`). */
  constructor(
    private readonly host: HostServices,
    readonly treeView: vscode.TreeView<TreeNode>,
  ) {
    this.status = new ReminderStatus(this.treeView);
    this.retiring = new RetirementStatus();
    const timer = setInterval(() => this.tree.invalidate(), TICK_MS);
    this.disposables.push(
      this.status,
      this.retiring,
      this.tree,
      { dispose: () => clearInterval(timer) },
      this.tree.onDidUpdate((roots) => this.onRoots(roots)),
      this.host.configs.onDidChange(() => {
        this.afterConfigs = this.rebuild();
      }),
      { dispose: () => clearTimeout(this.pulseTimer) },
    );
    // The walkthrough opening is a tab change: its steps are re-checked then.
    const tabs = vscode.window.tabGroups as vscode.TabGroups | undefined;
    if (tabs?.onDidChangeTabs) this.disposables.push(tabs.onDidChangeTabs(() => this.pulseWalkthrough()));
  }

  /**
   * Re-checks the walkthrough's completion: every step whose condition holds gets its key set to
   * true for a moment, then false (see WALKTHROUGH_CONTEXT). Debounced.
   */
  pulseWalkthrough(): void {
    if (this.pulsing) return;
    clearTimeout(this.pulseTimer);
    this.pulseTimer = setTimeout(() => {
      const done = (Object.keys(WALKTHROUGH_CONTEXT) as (keyof typeof WALKTHROUGH_CONTEXT)[]).filter((k) => this.walkthrough[k]);
      if (done.length === 0) return;
      this.pulsing = true;
      const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
      const set = (suffix: '' | '2', v: boolean): Promise<unknown> => Promise.all(done.map((k) => vscode.commands.executeCommand('setContext', `${WALKTHROUGH_CONTEXT[k]}${suffix}`, v)));
      // Two keys per step, never true at the same time: VS Code registering the walkthrough while
      // one is true would ignore that key for the session, never both. Three rounds, because
      // the Welcome page can register the walkthrough a moment after its tab appears.
      const round = async (): Promise<void> => {
        for (const suffix of ['', '2'] as const) {
          await set(suffix, true);
          await wait(150);
          await set(suffix, false);
          await wait(250);
        }
      };
      void (async () => {
        for (const pause of [0, 1500, 4000]) {
          await wait(pause);
          await round();
        }
      })().then(
        () => (this.pulsing = false),
        () => (this.pulsing = false),
      );
    }, 300);
  }

  /** Re-read everything the tree shows. `reloadConfigs` also re-reads the cf-rotate.json files. */
  async refresh(opts: { reloadConfigs?: boolean } = {}): Promise<void> {
    this.afterConfigs = undefined;
    if (opts.reloadConfigs) await this.host.configs.reloadAll();
    else await this.host.configs.ready();
    // Reading the configurations fired onDidChange, whose rebuild started after they were read (and
    // after this call): that one is fresh, no second one is needed (the first load used to do two).
    await (this.afterConfigs ?? this.rebuild());
  }

  /** Coalesced: concurrent calls share one run plus at most one follow-up. */
  rebuild(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await phase('tree: reload (configs, history, journals, credentials)', () => this.rebuildOnce());
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async rebuildOnce(): Promise<void> {
    const { configs, history, state, credentials, logger } = this.host;
    // The first load's steps, as marks (the benchmark's notes split "activation → tree data" by them).
    const firstLoad = !this.tree.hasData();
    const mark = (name: string): void => {
      if (!firstLoad) return;
      markWithCpu(`cf-rotate/first/${name}`);
      // For the benchmark and profiling (like the shell's cf-rotate/runtime/* marks): the tree has its first data.
      if ((name === 'early' || name === 'drawn') && performance.getEntriesByName('cf-rotate/tree-data').length === 0) markWithCpu('cf-rotate/tree-data');
    };
    // Every read starts at once: the journals and retirements (files of the state directory) do not
    // wait for the cf-rotate.json files, nor the history for either.
    const configsRead = configs.ready().then(() => mark('configs'));
    // The credential names come from SecretStorage (round trips to the editor): the tree does not
    // wait for them. It is drawn with the last known names and credential nodes (none at first: no
    // hints yet), and drawn again below if they differ.
    const profilesRead = credentials.profiles().catch((e: unknown) => {
      logger.warn(`Could not list the stored credentials: ${toCfRotateError(e).message}`);
      return undefined;
    });
    // The first load reads the history file synchronously, as the configurations (ConfigRegistry.ready):
    // each turn of the event loop waits behind the other extensions starting in this process.
    const historyRead = (firstLoad ? Promise.resolve().then(() => history.listSync()) : history.list()).then((x) => (mark('history'), x), (e: unknown) => {
      logger.warn(`Could not read the rotation history: ${toCfRotateError(e).message}`);
      return [] as HistoryEntry[];
    });
    const stateRead = Promise.all([
      state.interrupted().then((x) => (mark('journals'), x), (e: unknown) => {
        logger.error(`Could not read the interrupted-rotation journals: ${toCfRotateError(e).message}`);
        return [];
      }),
      state.retirements.list().then((x) => (mark('retirements'), x), (e: unknown) => {
        logger.warn(`Could not read the pending retirements: ${toCfRotateError(e).message}`);
        return [] as Retirement[];
      }),
    ]);
    let stateDone = false;
    void stateRead.then(() => (stateDone = true));
    const [, entries] = await Promise.all([configsRead, historyRead]);
    if (firstLoad) {
      // The first drawing does not wait for the journals and retirements when they are slower than
      // the configuration: the tokens are listed now, their "interrupted" and "retires in" notes
      // follow with the drawing below (a moment later).
      if (!stateDone) {
        this.tree.setData(this.treeData(entries, [], [], this.profiles, this.credentialNodes));
        mark('early');
      }
    }
    const [journals, pending] = await stateRead;
    const folders = configs.all();
    // Retirements of this workspace's folders, and of admin credentials (any window carries those out).
    const mine = pending.filter((r) => r.admin === true || configs.folders().some((f) => samePath(f.path, r.folder)));
    const retirements: RetirementInfo[] = mine.map((r) => ({
      folder: r.folder,
      name: r.name,
      profile: r.profile,
      kind: r.kind,
      admin: r.admin,
      dueAt: r.dueAt,
      attempts: r.attempts,
      ...(r.lastError ? { lastError: r.lastError } : {}),
      target: r.resource.tokenId ?? r.resource.clientId,
    }));
    this.retiring.update(retirements);
    const data = (profiles: readonly string[] | undefined, credentialInfos: readonly CredentialInfo[] | undefined): TreeData =>
      this.treeData(entries, journals, retirements, profiles, credentialInfos);
    this.tree.setData(data(this.profiles, this.credentialNodes));
    mark('drawn');
    const profiles = await profilesRead;
    const credentialInfos = profiles ? await this.credentialInfos(profiles, entries) : undefined;
    if (
      (profiles !== undefined && profiles.join('\u0000') !== this.profiles?.join('\u0000')) ||
      JSON.stringify(credentialInfos) !== JSON.stringify(this.credentialNodes)
    ) {
      if (profiles !== undefined) this.profiles = profiles;
      this.credentialNodes = credentialInfos;
      this.tree.setData(data(this.profiles, credentialInfos), 0);
    }
    await Promise.all([
      this.setContext(CONTEXT.hasConfig, folders.some((f) => f.status !== 'missing')),
      this.setContext(CONTEXT.hasCredential, (profiles ?? []).length > 0),
      // editor-ux: tokens of the last valid version count while cf-rotate.json is being edited (the Rotate commands stay; they say why they refuse).
      this.setContext(CONTEXT.hasTokens, folders.some((f) => (f.status === 'ok' ? f.tokens.length : f.status === 'error' ? (f.lastValid?.length ?? 0) : 0) > 0)),
      this.setContext(CONTEXT.hasInterrupted, journals.length > 0),
      this.setContext(CONTEXT.hasRetirements, retirements.length > 0),
    ]);
    await this.setContext(CONTEXT.ready, true);
    const now = {
      credential: (profiles ?? []).length > 0,
      config: folders.some((f) => f.status !== 'missing'),
      tokens: folders.some((f) => (f.status === 'ok' ? f.tokens.length : f.status === 'error' ? (f.lastValid?.length ?? 0) : 0) > 0),
      rotated: entries.some((e) => e.outcome === 'rotated' || e.outcome === 'recovered'),
    };
    const changed = (Object.keys(now) as (keyof typeof now)[]).some((k) => now[k] && !this.walkthrough[k]);
    this.walkthrough = now;
    if (changed) this.pulseWalkthrough();
  }

  /** What the tree draws, from what was read (journals and retirements of this workspace). */
  private treeData(
    entries: readonly HistoryEntry[],
    journals: readonly JournalEntry[],
    retirements: readonly RetirementInfo[],
    profiles: readonly string[] | undefined,
    credentialInfos: readonly CredentialInfo[] | undefined,
  ): TreeData {
    const { configs, settings } = this.host;
    return {
      folders: configs.all(),
      workspaceFolderCount: configs.folders().length,
      history: [...entries],
      reminderDays: settings.reminderDays(),
      interrupted: new Set(journals.map((j) => historyKey(j.folder, j.token))),
      // A journal that holds a new secret: the targets it has not written yet show as pending.
      pendingTargets: new Map(journals.filter((j) => j.values).map((j) => [historyKey(j.folder, j.token), new Set(journalLabels({ targets: [], destinations: (j.destinations ?? []).filter((d) => !d.done) }))])),
      ...(profiles ? { credentialProfiles: new Set(profiles) } : {}),
      retirements: [...retirements],
      ...(credentialInfos ? { credentials: [...credentialInfos] } : {}),
    };
  }

  /** The stored credentials as the tree shows them: scheme (SecretStorage), token facts (credentialInfo), last rotation (history). No API call. */
  private async credentialInfos(profiles: readonly string[], history: readonly HistoryEntry[]): Promise<CredentialInfo[]> {
    const out: CredentialInfo[] = [];
    for (const profile of profiles) {
      const c = await this.host.credentials.get(profile).catch(() => undefined);
      if (!c) {
        out.push({ profile, schemes: [], problem: 'unreadable: set it again' });
        continue;
      }
      const known = this.host.credentialInfo.get(profile);
      const name = adminTokenName(profile);
      let rotatedAt: number | undefined;
      for (const e of history) if (e.folder === '' && e.name === name && (e.outcome === 'rotated' || e.outcome === 'recovered')) rotatedAt = Math.max(rotatedAt ?? 0, Date.parse(e.at));
      out.push({
        profile,
        schemes: schemesOf(c),
        ...(known?.tokenId ? { tokenId: known.tokenId } : {}),
        ...(known?.accountId ? { accountId: known.accountId } : c.type === 'api-token' && c.accountId ? { accountId: c.accountId } : {}),
        ...(typeof known?.expiresAt === 'number' ? { expiresAt: known.expiresAt } : {}),
        ...(known?.storedAt !== undefined ? { issuedAt: known.storedAt } : {}),
        ...(rotatedAt !== undefined ? { rotatedAt } : {}),
      });
    }
    return out;
  }

  setRotating(items: readonly { folder: string; name: string }[], on: boolean): void {
    this.tree.setRotating(items, on);
  }

  private async setContext(key: string, value: boolean): Promise<void> {
    if (this.contextValues.get(key) === value) return;
    this.contextValues.set(key, value);
    await vscode.commands.executeCommand('setContext', key, value);
  }

  private onRoots(roots: readonly TreeNode[]): void {
    const counts = this.status.update(roots);
    if (counts.overdue > 0 && !this.overdueNotified) {
      this.overdueNotified = true;
      const r = reminderText(roots);
      const overdue = tokenNodes(roots).filter((t) => t.due.state === 'overdue');
      const names = overdue.slice(0, 3).map((t) => t.name).join(', ') + (overdue.length > 3 ? ', …' : '');
      const rotateDue = vscode.l10n.t('Rotate Due');
      const showTokens = vscode.l10n.t('Show Tokens');
      void vscode.window
        .showWarningMessage(
          notification(
            plural(
              counts.overdue,
              vscode.l10n.t('{0} Cloudflare credential is overdue for rotation ({1}).', counts.overdue, names),
              vscode.l10n.t('{0} Cloudflare credentials are overdue for rotation ({1}).', counts.overdue, names),
            ),
          ),
          rotateDue,
          showTokens,
        )
        .then((choice) => {
          if (choice === rotateDue) void vscode.commands.executeCommand(COMMANDS.rotateDue);
          else if (choice === showTokens) void vscode.commands.executeCommand(`${VIEWS.tokens}.focus`);
        });
      this.host.logger.info(r?.tooltip.replace(/\n/g, '; ') ?? '');
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
