/**
 * Every stored finding matching a filter, page by page in the order stored: one page is held at a time,
 * so a report over a large store costs a page, not the store. Between pages the event loop gets a turn,
 * so the service keeps answering deployment checks while a long report is read.
 */
import type { Finding } from '../../engine/findings/types.js';
import type { FindingFilter, Store } from './store.js';

const PAGE = 1000;

export async function* allStoredFindings(
  store: Store,
  filter: FindingFilter = {},
  pageSize = PAGE,
): AsyncGenerator<Finding, void, undefined> {
  let after: number | undefined;
  for (;;) {
    const page = await store.listFindings(filter, pageSize, after);
    for (const item of page.items) yield item.finding;
    if (page.next === undefined) return;
    after = page.next;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
