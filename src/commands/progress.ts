/**
 * Progress reports a batch sends to its notification, coalesced. Every report is a message to the
 * workbench and a redraw of the notification; a batch of hundreds of rotations finishing within a
 * second or two would send one per rotation. (No `vscode` import: unit-tested on its own.)
 */

export type Report = (message: string, increment?: number) => void;

export interface CoalescedReport {
  /** The latest message and the increments so far go out at once if `intervalMs` has passed since the last report, else at its end. */
  report: Report;
  /** Send now (with what is pending): for reports a person must see at once (cancelling, a wait). */
  urgent: Report;
  /** Send what is pending now (before the notification closes). */
  flush(): void;
}

/**
 * The first report goes out at once; later ones at most every `intervalMs`, as one report with
 * the latest message and the increments summed (the progress bar still ends at the same place).
 */
export function coalesceReports(send: Report, intervalMs: number, now: () => number = Date.now): CoalescedReport {
  let last = Number.NEGATIVE_INFINITY;
  let pending: { message: string; increment: number | undefined } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const sendNow = (message: string, increment: number | undefined): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    pending = undefined;
    last = now();
    send(message, increment);
  };
  const add = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : a + b);
  const flush = (): void => {
    if (pending) sendNow(pending.message, pending.increment);
  };

  return {
    report(message, increment) {
      const merged = add(pending?.increment, increment);
      const wait = last + intervalMs - now();
      if (wait <= 0) {
        sendNow(message, merged);
        return;
      }
      pending = { message, increment: merged };
      timer ??= setTimeout(flush, wait);
    },
    urgent(message, increment) {
      sendNow(message, add(pending?.increment, increment));
    },
    flush,
  };
}
