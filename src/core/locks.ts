/** The "busy" error and an in-memory Locks (tests, single-process hosts). The machine-wide locks are in node/lock.ts. */
import * as os from 'node:os';
import * as l10n from '@vscode/l10n';
import { CfRotateError } from './errors';
import { unverifiable, type Lease, type LockHolder, type Locks } from './ports';
import { wording } from './wording';

/** "busy", naming who holds the lock so the user can tell a live process from a forgotten one. */
export function busyError(holder: LockHolder, what: string, opts: { takeOver?: boolean } = {}): CfRotateError {
  const app = holder.app || l10n.t('another cf-rotate process');
  const who = holder.pid > 0 ? (holder.host !== os.hostname() ? l10n.t('{0} (pid {1} on {2})', app, holder.pid, holder.host) : l10n.t('{0} (pid {1})', app, holder.pid)) : l10n.t('another cf-rotate process');
  const doing = holder.what || l10n.t('working on it');
  const message =
    holder.since > 0
      ? l10n.t('{0} is not possible now: {1} is {2}, since {3}.', what, who, doing, new Date(holder.since).toISOString())
      : l10n.t('{0} is not possible now: {1} is {2}.', what, who, doing);
  return new CfRotateError('busy', message, {
    hint:
      opts.takeOver && holder.pid > 0 && unverifiable(holder, os.hostname())
        ? l10n.t('Wait for it to finish and try again. If that process is gone (it ran on another machine or in a rebuilt dev container, or its pid was reused), {0} to finish its rotation here. Nothing was changed.', wording().takeOver())
        : l10n.t('Wait for it to finish and try again. Nothing was changed.'),
  });
}

/**
 * The locks of a resume the user asked to take over (`cf-rotate resume --take-over`): before one
 * is taken, a holder this machine cannot check (`unverifiable`: a process of another host or of
 * a rebuilt dev container, or a local one of unknown start time held for over an hour) has its
 * lock broken, so a target file whose writer died elsewhere can be written; `taken` hears of
 * each. A holder this machine sees alive is waited for as always.
 */
export function takingOver(locks: Locks, taken: (name: string, holder: LockHolder) => void): Locks {
  const breakUnverifiable = async (name: string): Promise<void> => {
    const h = await locks.holder(name);
    if (!h || h.pid <= 0 || !unverifiable(h, os.hostname()) || !locks.takeOver) return;
    const broken = await locks.takeOver(name);
    if (broken) taken(name, broken);
  };
  return {
    tryAcquire: async (name, what) => (await breakUnverifiable(name), locks.tryAcquire(name, what)),
    acquire: async (name, what, opts) => (await breakUnverifiable(name), locks.acquire(name, what, opts)),
    holder: (name) => locks.holder(name),
    ...(locks.takeOver ? { takeOver: (name: string) => (locks.takeOver as NonNullable<Locks['takeOver']>).call(locks, name) } : {}),
  };
}

/** An in-memory Locks for tests and single-process hosts. */
export class MemoryLocks implements Locks {
  private readonly held = new Map<string, LockHolder>();
  async tryAcquire(name: string, what: string): Promise<Lease | LockHolder> {
    const h = this.held.get(name);
    if (h) return h;
    const holder: LockHolder = { pid: process.pid, start: null, host: os.hostname(), since: Date.now(), what, app: l10n.t('this process') };
    this.held.set(name, holder);
    let released = false;
    return {
      holder,
      release: async () => {
        if (!released && this.held.get(name) === holder) this.held.delete(name);
        released = true;
      },
      stillHeld: () => !released && this.held.get(name) === holder,
    };
  }

  /** Break the lock of `name` (tests: another process taking over); the holder broken, if any. */
  async takeOver(name: string): Promise<LockHolder | undefined> {
    const h = this.held.get(name);
    this.held.delete(name);
    return h;
  }
  async acquire(name: string, what: string, opts: { waitMs?: number; signal?: AbortSignal } = {}): Promise<Lease> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    for (;;) {
      const r = await this.tryAcquire(name, what);
      if ('release' in r) return r;
      if (Date.now() >= deadline || opts.signal?.aborted) throw busyError(r, what);
      await new Promise((res) => setTimeout(res, 5));
    }
  }
  async holder(name: string): Promise<LockHolder | undefined> {
    return this.held.get(name);
  }
}
