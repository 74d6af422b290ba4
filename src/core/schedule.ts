/** When is a token due? Shared by the tree, the status bar, `rotateDue` and `cf-rotate rotate --due`. */
import * as l10n from '@vscode/l10n';
import type { TokenConfig } from './config/schema';
import { intlDuration, intlRelative, isEnglish, type TimeUnit } from './l10n';

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

/** How far `at` is from `now`, rounded to minutes, hours or days; undefined under a minute. */
export function timeDistance(at: number, now: number): { value: number; unit: TimeUnit; past: boolean } | undefined {
  const diff = at - now;
  const abs = Math.abs(diff);
  if (abs < 60_000) return undefined;
  const past = diff < 0;
  if (abs < 3_600_000) return { value: Math.round(abs / 60_000), unit: 'minute', past };
  if (abs < DAY) return { value: Math.round(abs / 3_600_000), unit: 'hour', past };
  return { value: Math.round(abs / DAY), unit: 'day', past };
}

const COMPACT_UNIT: Record<TimeUnit, string> = { minute: 'min', hour: 'h', day: 'd' };

/**
 * "3 d", "5 h", "12 min": a duration, compact. English keeps these forms (the tree's narrow
 * column, the CLI); another display language gets Intl's narrow unit ("3 T.", "3 j").
 */
export function durationText(value: number, unit: TimeUnit): string {
  return isEnglish() ? `${value} ${COMPACT_UNIT[unit]}` : intlDuration(value, unit);
}

/**
 * How long from `at` to `now` (or back), without "ago"/"in": "3 d"; undefined under a minute.
 */
export function elapsedText(at: number, now: number): string | undefined {
  const d = timeDistance(at, now);
  return d === undefined ? undefined : durationText(d.value, d.unit);
}

/**
 * "3 d ago", "in 12 d", "5 h ago", "just now". English keeps these compact forms; another
 * display language gets `Intl.RelativeTimeFormat` (narrow) of that language.
 */
export function relativeTime(at: number, now: number): string {
  const d = timeDistance(at, now);
  if (isEnglish()) {
    if (d === undefined) return 'just now';
    const text = durationText(d.value, d.unit);
    return d.past ? `${text} ago` : `in ${text}`;
  }
  if (d === undefined) return l10n.t('just now');
  return intlRelative(d.past ? -d.value : d.value, d.unit);
}
