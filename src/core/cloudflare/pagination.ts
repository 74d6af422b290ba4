/**
 * Numbered pagination of Cloudflare's v4 lists over the request core: the page size, the page
 * cap, and when a list ends. (MoQ lists page by cursor: moq.ts, with the same cap.)
 */
import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';
import { cap } from './failures';
import type { CallSpec, RequestCore } from './request';
import type * as z from 'zod/mini';

export const PAGE_SIZE = 50;
export const MAX_PAGES = 2_000;

/**
 * Numbered pagination: page=1.. with per_page=50 (tokens: 5–50) until `total_pages` (or, when
 * the server omits it, until `total_count` items or a short page). 'numbered-lazy' sends no
 * query on the first request (for routes that document none) and asks for page 2+ only when
 * `result_info` says there is more. Stops on an empty page, and when `result_info.page` is not
 * the page asked for (notes A10: a server past its last page, or one that ignored `page`,
 * would otherwise hand out the same items again); that page's items are not taken.
 */
export async function paginate<T>(core: RequestCore, base: CallSpec, schema: z.ZodMiniType<T[]>, mode: 'numbered' | 'numbered-lazy'): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const query: Record<string, string | undefined> = { ...base.query };
    if (mode === 'numbered' || page > 1) query['page'] = String(page);
    if (mode === 'numbered') query['per_page'] = String(PAGE_SIZE);
    const res = await core.call({ ...base, query });
    const items: T[] = core.parse(res.result, schema, base.what, false);
    const info = res.resultInfo;
    if (info?.page !== undefined && info.page !== page) {
      core.logger.warn(`cloudflare ${base.op}: asked for page ${page}, Cloudflare answered page ${info.page}; the list ends here (${out.length} item(s)).`);
      return out;
    }
    out.push(...items);
    if (items.length === 0 || !info) return out;
    const perPage = info.per_page ?? (mode === 'numbered' ? PAGE_SIZE : undefined);
    let totalPages = info.total_pages;
    if (totalPages === undefined && info.total_count !== undefined && perPage) totalPages = Math.ceil(info.total_count / perPage);
    if (totalPages !== undefined) {
      if (page >= totalPages) return out;
    } else if (perPage === undefined || items.length < perPage) {
      return out;
    }
  }
  throw tooManyPages(base.what);
}

/** Pagination did not end within MAX_PAGES pages. */
export function tooManyPages(what: string): CfRotateError {
  return new CfRotateError('contract', l10n.t('{0}: Cloudflare kept returning pages past {1}.', cap(what), MAX_PAGES), {
    hint: l10n.t('Retry later; if it persists, report it to cf-rotate.'),
  });
}
