// The live event feed. EventSource cannot send an Authorization header, so the stream is
// read with @microsoft/fetch-event-source (fetch() underneath): it parses the Server-Sent
// Events and reconnects, sending Last-Event-ID (the seq of the last event seen) so the
// server resumes after it. What is ours: the bearer token, the backoff (0.5 s doubling up
// to 10 s, reset once a connection opens), giving up on 401/403, and never showing an
// event twice.
import { fetchEventSource, type EventSourceMessage } from '@microsoft/fetch-event-source';
import { getToken, ApiError, get, qs, type CocreateEvent } from './api';

/** The seq of the newest event this token may see (0 when none), by binary search. */
export async function latestSeq(signal?: AbortSignal): Promise<number> {
  const after = async (n: number) =>
    (await get<{ events: CocreateEvent[] }>(`/events${qs({ after: n, limit: 1 })}`, signal))
      .events[0]?.seq;
  const first = await after(0);
  if (first === undefined) return 0;
  let lo = first; // an event exists after lo, or lo is the answer
  let step = 1024;
  let hi = lo + step;
  while ((await after(hi)) !== undefined) {
    lo = hi;
    step *= 4;
    hi = lo + step;
  }
  // Some event has seq > lo-ish and none > hi: find the largest seq.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await after(mid)) !== undefined) lo = mid;
    else hi = mid;
  }
  const last = await after(lo);
  return last ?? lo;
}

export interface StreamHandlers {
  onEvent(e: CocreateEvent): void;
  onStatus(s: 'connecting' | 'open' | 'retrying', detail?: string): void;
}

/** How long to wait before reconnection attempt `n` (0-based) after a failure: 0.5 s,
 *  doubling, at most 10 s. */
export function retryDelay(n: number): number {
  return Math.min(500 * 2 ** Math.min(n, 5), 10_000);
}

/** The event a message carries when it is one not yet shown (seq after `last`); null for
 *  other messages (a named event other than `event`, or an event already seen). */
export function eventOf(
  msg: Pick<EventSourceMessage, 'event' | 'data'>,
  last: number,
): CocreateEvent | null {
  if (msg.event && msg.event !== 'event') return null;
  if (!msg.data) return null;
  const ev = JSON.parse(msg.data) as CocreateEvent;
  return ev.seq > last ? ev : null;
}

/** An answer that will not get better by retrying: the token is refused. */
class Refused extends Error {}

/** Why a stream could not be opened, in the server's words when it gave them. */
async function refusal(res: Response): Promise<string> {
  try {
    const j = await res.json();
    if (j?.error) {
      return new ApiError(res.status, j.error.code, j.error.message, j.error.field).describe();
    }
  } catch {
    /* keep the status line */
  }
  return `HTTP ${res.status}`;
}

/** Follows the stream from `after` until `signal` aborts (or the token is refused). */
export async function follow(
  after: number,
  signal: AbortSignal,
  on: StreamHandlers,
): Promise<void> {
  let last = after;
  let failures = 0;
  on.onStatus('connecting');
  try {
    await fetchEventSource(`/api/v1/events/stream${qs({ after })}`, {
      headers: { Authorization: `Bearer ${getToken() ?? ''}` },
      signal,
      cache: 'no-store',
      // Keep following while the tab is hidden (the default closes the stream then).
      openWhenHidden: true,
      async onopen(res) {
        if (res.ok && res.headers.get('content-type')?.startsWith('text/event-stream')) {
          failures = 0;
          on.onStatus('open');
          return;
        }
        const why = await refusal(res);
        if (res.status === 401 || res.status === 403) throw new Refused(why);
        throw new Error(why);
      },
      onmessage(msg) {
        const ev = eventOf(msg, last);
        if (!ev) return;
        last = ev.seq;
        on.onEvent(ev);
      },
      onclose() {
        // The server ended the stream: reconnect (onerror decides when).
        throw new Error('the stream ended');
      },
      onerror(e) {
        if (e instanceof Refused) throw e;
        const delay = retryDelay(failures++);
        const why = (e as Error).message || String(e);
        on.onStatus('retrying', `${why}; reconnecting in ${Math.round(delay / 100) / 10} s`);
        return delay;
      },
    });
  } catch (e) {
    if (e instanceof Refused) on.onStatus('retrying', `${e.message}; not retrying`);
    else if (!signal.aborted) throw e;
  }
}
