import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
/**
 * A small in-process stand-in for the `vscode` module, enough to activate the extension and
 * run its commands under mocha. It records every notification, picker, progress report,
 * context key and log line so tests can assert on them (and on the absence of secrets).
 * It is not VS Code: layout, rendering and real SecretStorage behaviour are not covered here.
 */
import { promises as fs, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import Module from 'node:module';

// ------------------------------------------------------------------------------ primitives

type Listener<T> = (e: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...ds: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (l: Listener<T>): Disposable => {
    this.listeners.push(l);
    return new Disposable(() => (this.listeners = this.listeners.filter((x) => x !== l)));
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
    /** What Uri.parse read (its authority, query and fragment), for toString(). */
    private readonly parsed?: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', path.resolve(p));
  }
  static parse(s: string): Uri {
    const u = new URL(s);
    return new Uri(u.protocol.replace(/:$/, ''), decodeURIComponent(u.pathname), u.href);
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return this.parsed ?? `${this.scheme}://${this.fsPath}`;
  }
}

export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
export class MarkdownString {
  supportHtml = false;
  isTrusted = false;
  constructor(readonly value: string = '') {}
}
export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string | MarkdownString;
  contextValue?: string;
  iconPath?: ThemeIcon;
  command?: { command: string; title: string; arguments?: unknown[] };
  accessibilityInformation?: { label: string };
  constructor(
    readonly label: string,
    readonly collapsibleState: number = 0,
  ) {}
}
export const TreeItemCollapsibleState = { None: 0, Collapsed: 1, Expanded: 2 } as const;
export const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 } as const;
export const LogLevel = { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 } as const;
export const ExtensionMode = { Production: 1, Development: 2, Test: 3 } as const;
export const StatusBarAlignment = { Left: 1, Right: 2 } as const;
export const TextEditorRevealType = { Default: 0, InCenter: 1, InCenterIfOutsideViewport: 2, AtTop: 3 } as const;

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    if (typeof a === 'number') {
      this.start = new Position(a, b as number);
      this.end = new Position(c as number, d as number);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
}
export class Selection extends Range {}
export class RelativePattern {
  constructor(
    readonly base: Uri,
    readonly pattern: string,
  ) {}
}

// ---------------------------------------------------------------------------------- state

export interface UiCall {
  kind: 'info' | 'warning' | 'error' | 'quickPick' | 'inputBox';
  message: string;
  items: unknown[];
  options: Record<string, unknown> | undefined;
}

export interface ProgressRecord {
  title: string;
  cancellable: boolean;
  reports: { message?: string; increment?: number }[];
  /** Press the notification's Cancel button. */
  cancel(): void;
}

export interface FakeDocument {
  uri: Uri;
  isDirty: boolean;
  getText(): string;
  lineAt(n: number): { range: Range };
  positionAt(offset: number): Position;
}

export interface FakeEditor {
  document: FakeDocument;
  selection: Selection | undefined;
  revealRange(r: Range): void;
}

export interface SettingValue {
  globalValue?: unknown;
  /** A remote window's remote machine value (VS Code's inspect() has it at run time). */
  globalRemoteValue?: unknown;
  workspaceValue?: unknown;
}

class Memento {
  readonly data = new Map<string, unknown>();
  get<T>(key: string, dflt?: T): T | undefined {
    return this.data.has(key) ? (this.data.get(key) as T) : dflt;
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.parse(JSON.stringify(value)) as unknown);
  }
  keys(): readonly string[] {
    return [...this.data.keys()];
  }
  setKeysForSync(): void {}
}

export class FakeSecretStorage {
  readonly data = new Map<string, string>();
  private readonly emitter = new EventEmitter<{ key: string }>();
  readonly onDidChange = this.emitter.event;
  async get(key: string): Promise<string | undefined> {
    return this.data.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.data.set(key, value);
    this.emitter.fire({ key });
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
    this.emitter.fire({ key });
  }
}

function readDefaults(): Map<string, unknown> {
  let dir = __dirname;
  for (;;) {
    const p = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; contributes?: { configuration?: { properties?: Record<string, { default?: unknown }> } } };
      if (pkg.name === 'cf-rotate') return new Map(Object.entries(pkg.contributes?.configuration?.properties ?? {}).map(([k, v]) => [k, v.default]));
    } catch {
      /* keep looking */
    }
    const up = path.dirname(dir);
    if (up === dir) return new Map();
    dir = up;
  }
}

export const fake = {
  calls: [] as UiCall[],
  /** Answers UI calls (messages, pickers, input boxes). Default: dismiss. */
  answer: (_call: UiCall): unknown => undefined,
  progress: [] as ProgressRecord[],
  /** Called when a progress notification starts and after each report (tests press Cancel here). */
  onProgress: (_p: ProgressRecord): void => undefined,
  /** vscode.env.language */
  language: 'en',
  contextKeys: new Map<string, unknown>(),
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  channels: new Map<string, string[]>(),
  settings: new Map<string, SettingValue>(),
  defaults: readDefaults(),
  documents: [] as FakeDocument[],
  editors: [] as FakeEditor[],
  statusItems: [] as { text: string; tooltip: unknown; visible: boolean }[],
  trees: [] as { id: string; provider: unknown; badge: unknown }[],
  watchers: [] as { glob: string; create: EventEmitter<Uri>; change: EventEmitter<Uri>; delete: EventEmitter<Uri> }[],
  folders: [] as { uri: Uri; name: string; index: number }[],
  trusted: true,
  /** Every `vscode.env.openExternal(uri)`, as uri.toString(). */
  opened: [] as string[],
  /** `vscode.authentication.getSession` calls, and how they are answered (default: no session, as in code-server without GitHub sign-in). */
  sessionCalls: [] as { providerId: string; scopes: readonly string[]; options: Record<string, unknown> | undefined }[],
  getSession: (_providerId: string, _scopes: readonly string[], _options?: Record<string, unknown>): unknown => undefined,
  configEmitter: new EventEmitter<{ affectsConfiguration(s: string): boolean }>(),
  foldersEmitter: new EventEmitter<unknown>(),
  reset(): void {
    this.calls = [];
    this.answer = () => undefined;
    this.progress = [];
    this.onProgress = () => undefined;
    this.language = 'en';
    this.contextKeys.clear();
    this.commands.clear();
    this.channels.clear();
    this.settings.clear();
    this.documents = [];
    this.editors = [];
    this.statusItems = [];
    this.trees = [];
    this.watchers = [];
    this.folders = [];
    this.trusted = true;
    this.opened = [];
    this.sessionCalls = [];
    this.getSession = () => undefined;
  },
  /** Everything user-visible or persisted, as one string (for "no secret anywhere" checks). */
  transcript(): string {
    return JSON.stringify({
      calls: this.calls,
      progress: this.progress,
      logs: [...this.channels.values()],
      status: this.statusItems,
      contextKeys: [...this.contextKeys],
    });
  },
  setSetting(key: string, v: SettingValue): void {
    this.settings.set(key, v);
    this.configEmitter.fire({ affectsConfiguration: (s: string) => key === s || key.startsWith(`${s}.`) });
  },
};

function ui(kind: UiCall['kind'], message: string, rest: unknown[]): Promise<unknown> {
  let options: Record<string, unknown> | undefined;
  let items = rest;
  if (rest.length > 0 && typeof rest[0] === 'object' && rest[0] !== null && !Array.isArray(rest[0])) {
    options = rest[0] as Record<string, unknown>;
    items = rest.slice(1);
  }
  const call: UiCall = { kind, message, items, options };
  fake.calls.push(call);
  return Promise.resolve(fake.answer(call));
}

function makeDocument(uri: Uri, text: string): FakeDocument {
  const lines = text.split(/\r\n|\r|\n/);
  return {
    uri,
    isDirty: false,
    getText: () => text,
    lineAt: (n: number) => ({ range: new Range(n, 0, n, (lines[n] ?? '').length) }),
    positionAt: (offset: number) => {
      const before = text.slice(0, offset).split(/\r\n|\r|\n/);
      return new Position(before.length - 1, (before[before.length - 1] ?? '').length);
    },
  };
}

function walk(dir: string, out: string[], depth = 0): void {
  if (depth > 6) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.git') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out, depth + 1);
    else out.push(p);
  }
}

// ------------------------------------------------------------------------------ namespaces

/** Answer a fake quick input with this to press its Back button. */
export const BACK = Symbol('back');
export const QuickInputButtons = { Back: { iconPath: new ThemeIcon('arrow-left'), tooltip: 'Back' } };

/**
 * createQuickPick / createInputBox over `fake.answer`: when shown (and whenever it stops being
 * busy after an accept was refused), a call is recorded with the title, step, totalSteps,
 * placeholder / prompt, value and validationMessage in `options`, and answered: an item (pick),
 * a string (input), BACK, or undefined (Escape). `options.validateInput(v)` types v and returns
 * the message the box shows.
 */
function quickInput(kind: 'quickPick' | 'inputBox'): Record<string, unknown> {
  const accept = new EventEmitter<void>();
  const hide = new EventEmitter<void>();
  const button = new EventEmitter<unknown>();
  const change = new EventEmitter<string>();
  let busy = false;
  let shown = false;
  let disposed = false;
  let asked = false;
  const q: Record<string, unknown> = {
    title: undefined, step: undefined, totalSteps: undefined, placeholder: undefined, prompt: undefined, value: '', password: false,
    items: [], activeItems: [], selectedItems: [], buttons: [], enabled: true, ignoreFocusOut: false, validationMessage: undefined,
    matchOnDescription: false, matchOnDetail: false,
    onDidAccept: accept.event, onDidHide: hide.event, onDidTriggerButton: button.event, onDidChangeValue: change.event,
    show() {
      shown = true;
      ask();
    },
    hide() {
      if (!shown || disposed) return;
      shown = false;
      hide.fire();
    },
    dispose() {
      if (disposed) return;
      const wasShown = shown;
      disposed = true;
      shown = false;
      if (wasShown) hide.fire();
    },
  };
  Object.defineProperty(q, 'busy', {
    get: () => busy,
    set: (v: boolean) => {
      const was = busy;
      busy = v;
      if (was && !v) ask();
    },
  });
  function ask(): void {
    if (!shown || disposed || busy || asked) return;
    asked = true;
    setImmediate(() => {
      asked = false;
      if (!shown || disposed || busy) return;
      const options = {
        title: q.title, step: q.step, totalSteps: q.totalSteps, placeHolder: q.placeholder, prompt: q.prompt, value: q.value, password: q.password,
        validationMessage: q.validationMessage, buttons: q.buttons, activeItems: q.activeItems,
        validateInput: (v: string) => {
          q.value = v;
          change.fire(v);
          return q.validationMessage;
        },
      };
      const call: UiCall = { kind, message: String((kind === 'quickPick' ? q.placeholder : q.prompt) ?? ''), items: kind === 'quickPick' ? (q.items as unknown[]) : [], options };
      fake.calls.push(call);
      Promise.resolve(fake.answer(call)).then((a) => {
        if (!shown || disposed) return;
        if (a === BACK) return button.fire(QuickInputButtons.Back);
        if (a === undefined) return q.hide && (q.hide as () => void)();
        if (kind === 'quickPick') q.selectedItems = [a];
        else {
          q.value = String(a);
          change.fire(String(a));
        }
        accept.fire();
        // Refused (still shown, not busy, and no accept running): ask again with the message.
        setImmediate(() => {
          if (shown && !disposed && !busy && q.enabled !== false) ask();
        });
      });
    });
  }
  return q;
}

/** vscode.l10n: English, with {0} / {name} placeholders filled in as VS Code does. */
export const l10n = {
  bundle: undefined,
  uri: undefined,
  t(message: string | { message: string; args?: unknown[] | Record<string, unknown> }, ...rest: unknown[]): string {
    const text = typeof message === 'string' ? message : message.message;
    const args: unknown[] | Record<string, unknown> = typeof message === 'string' ? (rest.length === 1 && typeof rest[0] === 'object' && rest[0] !== null && !Array.isArray(rest[0]) ? (rest[0] as Record<string, unknown>) : rest) : (message.args ?? []);
    return text.replace(/\{([^{}]+)\}/g, (m, k: string) => {
      const v = Array.isArray(args) ? args[Number(k)] : args[k];
      return v === undefined ? m : String(v);
    });
  },
};

export const window = {
  createQuickPick: () => quickInput('quickPick'),
  createInputBox: () => quickInput('inputBox'),
  createOutputChannel(name: string): Record<string, unknown> {
    const lines: string[] = [];
    fake.channels.set(name, lines);
    const log = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
    // Trace: every line reaches the channel (the leak suites read them all).
    return { name, logLevel: LogLevel.Trace, trace: log('trace'), debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), appendLine: log('line'), show: () => undefined, dispose: () => undefined };
  },
  createTreeView(id: string, opts: { treeDataProvider: unknown }): Record<string, unknown> {
    const view = { id, provider: opts.treeDataProvider, badge: undefined as unknown, dispose: () => undefined, reveal: async () => undefined };
    fake.trees.push(view);
    return view;
  },
  createStatusBarItem(): Record<string, unknown> {
    const item = { text: '', tooltip: undefined as unknown, visible: false, name: '', command: undefined as unknown, backgroundColor: undefined as unknown, accessibilityInformation: undefined as unknown, show() { item.visible = true; }, hide() { item.visible = false; }, dispose: () => undefined };
    fake.statusItems.push(item);
    return item;
  },
  showInformationMessage: (message: string, ...rest: unknown[]) => ui('info', message, rest),
  showWarningMessage: (message: string, ...rest: unknown[]) => ui('warning', message, rest),
  showErrorMessage: (message: string, ...rest: unknown[]) => ui('error', message, rest),
  async showQuickPick(items: unknown, options?: Record<string, unknown>): Promise<unknown> {
    const resolved = (await items) as unknown[];
    const call: UiCall = { kind: 'quickPick', message: String(options?.placeHolder ?? ''), items: resolved, options };
    fake.calls.push(call);
    return fake.answer(call);
  },
  async showInputBox(options?: Record<string, unknown>): Promise<unknown> {
    const call: UiCall = { kind: 'inputBox', message: String(options?.prompt ?? ''), items: [], options };
    fake.calls.push(call);
    return fake.answer(call);
  },
  async withProgress<T>(
    opts: { title?: string; cancellable?: boolean },
    task: (p: { report(v: { message?: string; increment?: number }): void }, token: { isCancellationRequested: boolean; onCancellationRequested(l: () => void): Disposable }) => Promise<T>,
  ): Promise<T> {
    const cancelled = new EventEmitter<void>();
    const token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => cancelled.event(l) };
    const rec: ProgressRecord = {
      title: opts.title ?? '',
      cancellable: opts.cancellable === true,
      reports: [],
      cancel: () => {
        if (!opts.cancellable || token.isCancellationRequested) return;
        token.isCancellationRequested = true;
        cancelled.fire();
      },
    };
    fake.progress.push(rec);
    fake.onProgress(rec);
    return task(
      {
        report: (v) => {
          rec.reports.push(v);
          fake.onProgress(rec);
        },
      },
      token,
    );
  },
  async showTextDocument(doc: FakeDocument): Promise<FakeEditor> {
    const editor: FakeEditor = { document: doc, selection: undefined, revealRange: () => undefined };
    fake.editors.push(editor);
    return editor;
  },
};

export const env = {
  get language(): string {
    return fake.language;
  },
  appName: 'Fake VS Code',
  async openExternal(uri: Uri): Promise<boolean> {
    fake.opened.push(uri.toString());
    return true;
  },
};

export const authentication = {
  /** Answers with `fake.getSession` (a session, undefined, or a throw), recording the call. */
  async getSession(providerId: string, scopes: readonly string[], options?: Record<string, unknown>): Promise<unknown> {
    fake.sessionCalls.push({ providerId, scopes: [...scopes], options });
    return fake.getSession(providerId, scopes, options);
  },
};

export const workspace = {
  get workspaceFolders(): typeof fake.folders | undefined {
    return fake.folders.length > 0 ? fake.folders : undefined;
  },
  get isTrusted(): boolean {
    return fake.trusted;
  },
  get textDocuments(): FakeDocument[] {
    return fake.documents;
  },
  getConfiguration(section: string): Record<string, unknown> {
    const full = (k: string): string => `${section}.${k}`;
    return {
      get: (k: string) => {
        const s = fake.settings.get(full(k));
        return s?.workspaceValue ?? s?.globalValue ?? fake.defaults.get(full(k));
      },
      inspect: (k: string) => ({ key: full(k), defaultValue: fake.defaults.get(full(k)), ...fake.settings.get(full(k)) }),
    };
  },
  createFileSystemWatcher(glob: string): Record<string, unknown> {
    const w = { glob, create: new EventEmitter<Uri>(), change: new EventEmitter<Uri>(), delete: new EventEmitter<Uri>() };
    fake.watchers.push(w);
    return { onDidCreate: w.create.event, onDidChange: w.change.event, onDidDelete: w.delete.event, dispose: () => undefined };
  },
  onDidChangeWorkspaceFolders: fake.foldersEmitter.event,
  onDidChangeConfiguration: fake.configEmitter.event,
  async openTextDocument(uri: Uri): Promise<FakeDocument> {
    const open = fake.documents.find((d) => d.uri.fsPath === uri.fsPath);
    if (open) return open;
    return makeDocument(uri, await fs.readFile(uri.fsPath, 'utf8'));
  },
  async findFiles(pattern: RelativePattern, _exclude?: string, max = 1000): Promise<Uri[]> {
    const files: string[] = [];
    walk(pattern.base.fsPath, files);
    return files.filter((f) => /^(\.env(\..+)?|\.dev\.vars(\..+)?)$/.test(path.basename(f))).slice(0, max).map((f) => Uri.file(f));
  },
};

export const commands = {
  registerCommand(id: string, fn: (...args: unknown[]) => unknown): Disposable {
    if (fake.commands.has(id)) throw new Error(`command '${id}' already exists`);
    fake.commands.set(id, fn);
    return new Disposable(() => fake.commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]): Promise<unknown> {
    if (id === 'setContext') {
      fake.contextKeys.set(args[0] as string, args[1]);
      return undefined;
    }
    const fn = fake.commands.get(id);
    if (!fn) throw new Error(`command '${id}' not found`);
    return fn(...args);
  },
};

export function makeContext(
  secrets = new FakeSecretStorage(),
  globalState = new Memento(),
  globalStorage = mkdtempSync(join(tmpdir(), 'cf-rotate-global-storage-')),
  extensionMode: number = ExtensionMode.Test,
): { subscriptions: { dispose(): unknown }[]; secrets: FakeSecretStorage; globalState: Memento; workspaceState: Memento; globalStorageUri: Uri; extensionMode: number } {
  return { subscriptions: [], secrets, globalState, workspaceState: new Memento(), globalStorageUri: Uri.file(globalStorage), extensionMode };
}

export { Memento };

/** Make `require('vscode')` resolve to this module. */
export function installFakeVscode(): void {
  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  const self = __filename;
  M._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (request === 'vscode') return self;
    return original.call(this, request, ...rest);
  };
}

installFakeVscode();
