/**
 * A minimal stand-in for the `vscode` module, FOR THE BENCHMARKS ONLY: it lets Node load
 * modules that import vscode (the bundled extension, src/views/tree.ts) outside VS Code.
 * Installed by intercepting Module._load for the request 'vscode'. The classes keep what the
 * code under test sets on them and do nothing else; namespaces (window, commands, …) are
 * inert proxies whose functions return undefined.
 */
import Module from 'node:module';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Disposable {
  constructor(private readonly fn: () => void) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  static readonly File = new ThemeIcon('file');
  static readonly Folder = new ThemeIcon('folder');
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  supportHtml = false;
  isTrusted: boolean | undefined = false;
  supportThemeIcons = false;
  constructor(public value = '') {}
  appendText(v: string): this {
    this.value += v.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
  appendMarkdown(v: string): this {
    this.value += v;
    return this;
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string | boolean;
  tooltip?: string | MarkdownString;
  contextValue?: string;
  iconPath?: ThemeIcon;
  command?: unknown;
  accessibilityInformation?: unknown;
  constructor(
    public label: string,
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    return new Uri(s.split(':')[0] ?? 'file', s.replace(/^file:\/\//, ''));
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, [base.fsPath, ...parts].join('/'));
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}
class Selection extends Range {}
class RelativePattern {
  constructor(
    readonly base: unknown,
    readonly pattern: string,
  ) {}
}

/** A namespace whose every member is a function returning undefined (or another such namespace). */
function inertNamespace(name: string): unknown {
  const fn = (): undefined => undefined;
  return new Proxy(fn, {
    // Not thenable (so `await vscode.window` cannot hang), otherwise every member is another inert namespace.
    get: (_t, prop) => (prop === 'then' ? undefined : prop === Symbol.toPrimitive ? () => name : inertNamespace(`${name}.${String(prop)}`)),
    apply: () => undefined,
  });
}

export function createVscodeStub(): Record<string, unknown> {
  return {
    EventEmitter,
    Disposable,
    ThemeColor,
    ThemeIcon,
    MarkdownString,
    TreeItem,
    TreeItemCollapsibleState,
    Uri,
    Position,
    Range,
    Selection,
    RelativePattern,
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    TextEditorRevealType: { Default: 0, InCenter: 1, InCenterIfOutsideViewport: 2, AtTop: 3 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    ExtensionMode: { Production: 1, Development: 2, Test: 3 },
    window: inertNamespace('window'),
    workspace: inertNamespace('workspace'),
    commands: inertNamespace('commands'),
    env: inertNamespace('env'),
    extensions: inertNamespace('extensions'),
    languages: inertNamespace('languages'),
    l10n: inertNamespace('l10n'),
    version: '1.95.0',
  };
}

interface ModuleWithLoad {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
}

let installed = false;

/** Make `require('vscode')` return the stub in this process. */
export function installVscodeStub(): void {
  if (installed) return;
  installed = true;
  const stub = createVscodeStub();
  const mod = Module as unknown as ModuleWithLoad;
  const original = mod._load.bind(Module);
  mod._load = (request: string, parent: unknown, isMain: boolean): unknown => (request === 'vscode' ? stub : original(request, parent, isMain));
}
