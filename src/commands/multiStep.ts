/**
 * The multi-step input both wizards use (Add Token, Set Credential): QuickPick and InputBox steps
 * with a step counter (`step` / `totalSteps`), a Back button, `busy` while a list loads or a value
 * is being checked, and Escape to cancel at any point.
 *
 * A wizard is a chain of step functions over a state object: each shows one input (or none, when
 * its answer is already known, e.g. the only account) and returns the next step. Back re-runs the
 * previous step that showed an input (its earlier answer pre-selected from the state); a second
 * input of the same step goes back to the first. Between steps the last input stays on screen,
 * busy, until the next one replaces it, so nothing flickers and no notification is needed.
 *
 * Holds no user-visible words of its own (callers pass titles, prompts and placeholders).
 */
import * as vscode from 'vscode';
import { cancelled } from './app';

export interface Choice<T> extends vscode.QuickPickItem {
  value: T;
}

export interface StepPosition {
  /** 1-based step number, shown as "(step/totalSteps)" after the title ("(step)" without a total). */
  step?: number;
  totalSteps?: number;
}

export interface PickOptions<T> extends StepPosition {
  title: string;
  placeholder: string;
  /**
   * The items, or a loader: the pick is shown at once, `busy` with `loading` as placeholder, until
   * it resolves. Its signal is aborted when the user leaves the step (Escape, Back) before that.
   */
  items: readonly Choice<T>[] | ((signal: AbortSignal) => Promise<readonly Choice<T>[]>);
  loading?: string;
  /** Pre-selects the item whose value this is (the answer given before going Back). */
  active?: T;
  matchOnDescription?: boolean;
  matchOnDetail?: boolean;
  /**
   * A loaded list of exactly one item answers the step without asking (e.g. the only account);
   * Back then skips it as a step that showed nothing.
   */
  autoPickSingle?: boolean;
}

export interface InputOptions extends StepPosition {
  title: string;
  prompt: string;
  value?: string;
  placeholder?: string;
  password?: boolean;
  /** Checked as the user types: a message is shown and Enter is refused. */
  validate?: (value: string) => string | undefined;
  /**
   * Runs on Enter while the box shows `busy` (e.g. asks Cloudflare). A message keeps the box open
   * with the value and that message, so the user can fix the value without starting over.
   */
  accept?: (value: string, signal: AbortSignal) => Promise<string | undefined>;
  /** Shown as the box opens (why the value given last time was refused). */
  message?: string;
}

/** One step of a wizard: shows what it needs and returns the next step (undefined: done). */
export type Step<S> = (input: MultiStepInput, state: S) => Promise<Step<S> | undefined>;

/** Thrown by an input whose Back button was pressed. */
class GoBack {
  constructor(readonly sameStep: boolean) {}
}

interface Entry<S> {
  step: Step<S>;
  /** Inputs this run of the step showed (0: its answer was known; Back skips it). */
  inputs: number;
}

export class MultiStepInput {
  private current: vscode.QuickInput | undefined;
  private readonly stack: Entry<never>[] = [];

  private constructor() {}

  /** The input on screen (busy between steps): a step that runs a nested flow hides it first. */
  hide(): void {
    this.current?.hide();
  }

  /** Runs the wizard from `start` to its end; returns the state. Rejects with a 'cancelled' error on Escape. */
  static async run<S>(state: S, start: Step<S>): Promise<S> {
    const flow = new MultiStepInput();
    try {
      await flow.stepThrough(state, start);
      return state;
    } finally {
      flow.current?.dispose();
      flow.current = undefined;
    }
  }

  private async stepThrough<S>(state: S, start: Step<S>): Promise<void> {
    const stack = this.stack as unknown as Entry<S>[];
    let next: Step<S> | undefined = start;
    while (next) {
      const entry: Entry<S> = { step: next, inputs: 0 };
      stack.push(entry);
      try {
        next = await next(this, state);
      } catch (e) {
        if (!(e instanceof GoBack)) throw e;
        stack.pop();
        if (e.sameStep) {
          next = entry.step;
          continue;
        }
        // Steps that showed nothing (their answer was known) are skipped on the way back.
        let prev = stack.pop();
        while (prev && prev.inputs === 0) prev = stack.pop();
        next = prev?.step ?? entry.step;
      }
    }
  }

  private get entry(): Entry<never> {
    const e = this.stack[this.stack.length - 1];
    if (!e) throw new Error('MultiStepInput: an input outside a step');
    return e;
  }

  /** Whether Back has somewhere to go from the input about to be shown. */
  private backTarget(): { allowed: boolean; sameStep: boolean } {
    const sameStep = this.entry.inputs > 0;
    return { allowed: sameStep || this.stack.slice(0, -1).some((e) => e.inputs > 0), sameStep };
  }

  private show(input: vscode.QuickInput, o: StepPosition & { title: string }, back: boolean): void {
    input.title = o.title;
    input.step = o.step;
    input.totalSteps = o.totalSteps;
    input.ignoreFocusOut = true;
    (input as vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox).buttons = back ? [vscode.QuickInputButtons.Back] : [];
    const previous = this.current;
    this.current = input;
    previous?.dispose();
    input.show();
  }

  /** One item of a list; `items` may load while the pick is shown busy. */
  async pick<T>(o: PickOptions<T>): Promise<T> {
    const back = this.backTarget();
    this.entry.inputs++;
    const qp = vscode.window.createQuickPick<Choice<T>>();
    qp.placeholder = o.placeholder;
    qp.matchOnDescription = o.matchOnDescription ?? true;
    qp.matchOnDetail = o.matchOnDetail ?? true;
    const setItems = (items: readonly Choice<T>[]): void => {
      qp.items = items;
      const active = o.active !== undefined ? items.find((i) => i.value === o.active) : undefined;
      if (active) qp.activeItems = [active];
    };
    const loader = typeof o.items === 'function' ? o.items : undefined;
    if (loader) {
      qp.busy = true;
      qp.placeholder = o.loading ?? o.placeholder;
    } else setItems(o.items as readonly Choice<T>[]);
    this.show(qp, o, back.allowed);
    const loading = new AbortController();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const subs: vscode.Disposable[] = [];
      const done = (f: () => void): void => {
        if (settled) return;
        settled = true;
        for (const d of subs) d.dispose();
        loading.abort();
        f();
      };
      subs.push(
        qp.onDidTriggerButton((b) => {
          if (b === vscode.QuickInputButtons.Back) done(() => reject(new GoBack(back.sameStep)));
        }),
        qp.onDidAccept(() => {
          const item = qp.selectedItems[0] ?? qp.activeItems[0];
          if (!item || qp.busy) return;
          // Stays on screen, busy, until the next step replaces it.
          qp.busy = true;
          qp.enabled = false;
          done(() => resolve(item.value));
        }),
        qp.onDidHide(() => done(() => reject(cancelled()))),
      );
      if (loader) {
        loader(loading.signal).then(
          (items) => {
            if (settled) return;
            if (o.autoPickSingle && items.length === 1) {
              this.entry.inputs--;
              done(() => resolve((items[0] as Choice<T>).value));
              return;
            }
            setItems(items);
            qp.placeholder = o.placeholder;
            qp.busy = false;
          },
          (err: unknown) => done(() => reject(err)),
        );
      }
    });
  }

  /** A typed value; `accept` may check it (busy) and keep the box open with a message. */
  async input(o: InputOptions): Promise<string> {
    const back = this.backTarget();
    this.entry.inputs++;
    const box = vscode.window.createInputBox();
    box.value = o.value ?? '';
    box.prompt = o.prompt;
    box.password = o.password === true;
    if (o.placeholder !== undefined) box.placeholder = o.placeholder;
    box.validationMessage = o.message ?? (box.value !== '' ? o.validate?.(box.value) : undefined);
    this.show(box, o, back.allowed);
    const checking = new AbortController();
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const subs: vscode.Disposable[] = [];
      const done = (f: () => void): void => {
        if (settled) return;
        settled = true;
        for (const d of subs) d.dispose();
        checking.abort();
        f();
      };
      subs.push(
        box.onDidTriggerButton((b) => {
          if (b === vscode.QuickInputButtons.Back) done(() => reject(new GoBack(back.sameStep)));
        }),
        box.onDidChangeValue((v) => {
          if (!box.busy) box.validationMessage = o.validate?.(v);
        }),
        box.onDidAccept(() => {
          if (box.busy || settled) return;
          const v = box.value;
          const bad = o.validate?.(v);
          if (bad !== undefined) {
            box.validationMessage = bad;
            return;
          }
          box.busy = true;
          box.enabled = false;
          box.validationMessage = undefined;
          if (!o.accept) {
            done(() => resolve(v));
            return;
          }
          o.accept(v, checking.signal).then(
            (message) => {
              if (settled) return;
              if (message === undefined) {
                done(() => resolve(v));
                return;
              }
              box.validationMessage = message;
              box.busy = false;
              box.enabled = true;
            },
            (err: unknown) => done(() => reject(err)),
          );
        }),
        box.onDidHide(() => done(() => reject(cancelled()))),
      );
    });
  }
}
