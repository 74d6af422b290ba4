/**
 * `cf-rotate rotate --due [--due-from history|cloudflare|auto]`: which tokens are due, judged by
 *  - history (default): the local history in the state directory; a scheduled token without an
 *    entry counts as due (unchanged behaviour, no API call);
 *  - cloudflare: Cloudflare's own timestamps (src/core/lastRotated.ts), for runners that keep no
 *    state between runs;
 *  - auto: the history, and Cloudflare's timestamp for tokens the history has no entry for.
 * A token whose timestamp cannot be read is not rotated and is reported as failed. A token whose
 * last rotation lost its secret (history) is due in every mode: its targets hold a dead value.
 */
import type { CloudflareApi } from '../core/cloudflare/types';
import { targetLabel, type TokenConfig } from '../core/config/schema';
import { envSuffix, EnvCredentialSource } from '../core/envCredentials';
import type { RotationResult } from '../core/engine/engine';
import { CfRotateError, toCfRotateError } from '../core/errors';
import { historyKey, lastRotations, unsettledLosses, type HistoryStore } from '../core/history';
import { lastRotatedAtCloudflare } from '../core/lastRotated';
import { dueInfo, isDue } from '../core/schedule';
import { cliApiFactory, type CliApiOptions } from './api';

export const DUE_SOURCES = ['history', 'cloudflare', 'auto'] as const;
export type DueFrom = (typeof DUE_SOURCES)[number];

/** --due-from's value (default history). A bad value is a usage error (exit 2). */
export function parseDueFrom(value: string | undefined, due: boolean): DueFrom {
  if (value === undefined) return 'history';
  if (!due) throw new CfRotateError('validation', '--due-from only applies to "rotate --due"; nothing was rotated.', { hint: 'Add --due, or drop --due-from.' });
  if (!(DUE_SOURCES as readonly string[]).includes(value)) {
    throw new CfRotateError('validation', `--due-from must be one of ${DUE_SOURCES.join(', ')}, not "${value}"; nothing was rotated.`, {
      hint: 'Use --due-from cloudflare where no history is kept between runs (CI).',
    });
  }
  return value as DueFrom;
}

export interface SelectDueOptions extends CliApiOptions {
  folder: string;
  history: HistoryStore;
  from: DueFrom;
  reminderDays: number;
  now?: number;
  /** Reads in flight at once (default 8). */
  concurrency?: number;
}

export interface DueSelection {
  due: TokenConfig[];
  /** Tokens whose last rotation could not be read from Cloudflare: not rotated, reported as failed. */
  failed: RotationResult[];
}

export async function selectDue(tokens: readonly TokenConfig[], o: SelectDueOptions): Promise<DueSelection> {
  const now = o.now ?? Date.now();
  const entries = await o.history.list();
  const last = lastRotations(entries);
  // A rotation that lost its secret left its targets with a value Cloudflare no longer accepts: due
  // now, whatever the schedule or Cloudflare's timestamps say (the lost roll updated those).
  const lost = unsettledLosses(entries);
  const credentials = new EnvCredentialSource(o.env);
  const factory = o.from === 'history' ? undefined : cliApiFactory(o);
  const apis = new Map<string, CloudflareApi>();
  const apiFor = async (profile: string): Promise<CloudflareApi> => {
    let api = apis.get(profile);
    if (api) return api;
    const credential = await credentials.get(profile);
    if (!credential || !factory) {
      throw new CfRotateError('credential-missing', `No Cloudflare credential is set for profile "${profile}".`, {
        hint: `Set CLOUDFLARE_API_TOKEN${envSuffix(profile)} (or CLOUDFLARE_EMAIL${envSuffix(profile)} + CLOUDFLARE_API_KEY${envSuffix(profile)}).`,
      });
    }
    api = factory(credential, profile);
    apis.set(profile, api);
    return api;
  };

  const verdicts: (boolean | RotationResult)[] = new Array(tokens.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < tokens.length; i = next++) {
      const t = tokens[i] as TokenConfig;
      const h = last.get(historyKey(o.folder, t.name));
      if (lost.has(historyKey(o.folder, t.name))) {
        verdicts[i] = true;
        continue;
      }
      if (o.from === 'history' || (o.from === 'auto' && h)) {
        verdicts[i] = isDue(dueInfo(t, h ? Date.parse(h.at) : undefined, now, o.reminderDays, h?.expiresAt ? Date.parse(h.expiresAt) : undefined));
        continue;
      }
      const started = Date.now();
      try {
        const cf = await lastRotatedAtCloudflare(await apiFor(t.profile), t);
        verdicts[i] = isDue(dueInfo(t, cf.at, now, o.reminderDays, cf.expiresAt));
      } catch (e) {
        const err = toCfRotateError(e);
        verdicts[i] = {
          name: t.name,
          folder: o.folder,
          kind: t.kind,
          ok: false,
          state: 'failed',
          targets: t.targets.map(targetLabel),
          error: {
            kind: err.kind,
            message: `Could not read from Cloudflare when "${t.name}" was last rotated, so it was not rotated: ${err.message}`,
            hint: `${err.hint ? `${err.hint} ` : ''}Nothing was changed for it; fix that and run again, or rotate it by name.`,
          },
          warnings: [],
          durationMs: Date.now() - started,
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 8, Math.max(1, tokens.length)) }, worker));
  return {
    due: tokens.filter((_t, i) => verdicts[i] === true),
    failed: verdicts.filter((v): v is RotationResult => typeof v === 'object'),
  };
}
