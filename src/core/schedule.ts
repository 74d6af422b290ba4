/** When is a token due? Shared by the tree, the status bar, `rotateDue` and `cf-rotate rotate --due`. */
import type { TokenConfig } from './config/schema';

export type DueState = 'ok' | 'due-soon' | 'overdue' | 'unscheduled';

export interface DueInfo {
  state: DueState;
  /** Epoch ms when the token is (or was) due, if scheduled and known. */
  dueAt?: number;
}

const DAY = 86_400_000;

/**
 * `rotateEveryDays` after the last rotation. A scheduled token cf-rotate never rotated counts as
 * overdue: its age is unknown. `reminderDays` before the due date it is "due soon".
 */
export function dueInfo(token: TokenConfig, lastRotatedAt: number | undefined, now: number, reminderDays: number, expiresAt?: number): DueInfo {
  let dueAt: number | undefined;
  if (token.rotateEveryDays !== undefined) {
    if (lastRotatedAt === undefined) return { state: 'overdue' };
    dueAt = lastRotatedAt + token.rotateEveryDays * DAY;
  }
  if (expiresAt !== undefined && (dueAt === undefined || expiresAt < dueAt)) dueAt = expiresAt;
  if (dueAt === undefined) return { state: 'unscheduled' };
  if (dueAt <= now) return { state: 'overdue', dueAt };
  if (dueAt - now <= reminderDays * DAY) return { state: 'due-soon', dueAt };
  return { state: 'ok', dueAt };
}

export function isDue(info: DueInfo): boolean {
  return info.state === 'overdue' || info.state === 'due-soon';
}

/** "3 d ago", "in 12 d", "5 h ago", "just now". */
export function relativeTime(at: number, now: number): string {
  const diff = at - now;
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 60_000) return 'just now';
  if (abs < 3_600_000) text = `${Math.round(abs / 60_000)} min`;
  else if (abs < DAY) text = `${Math.round(abs / 3_600_000)} h`;
  else text = `${Math.round(abs / DAY)} d`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}
