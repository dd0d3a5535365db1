// The live event feed, read with fetch() + ReadableStream because EventSource cannot send
// an Authorization header. SSE frames are parsed here; on a dropped connection the
// stream is reopened with ?after=<last seq seen>, backing off up to 10 s.
import { getToken, ApiError, get, qs, type CocreateEvent } from './api';

export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/** Incremental SSE parser: feed text chunks, get whole frames back. */
export class SseParser {
  private buf = '';
  push(chunk: string): SseFrame[] {
    this.buf += chunk.replace(/\r\n?/g, '\n');
    const frames: SseFrame[] = [];
    let cut: number;
    while ((cut = this.buf.indexOf('\n\n')) >= 0) {
      const block = this.buf.slice(0, cut);
      this.buf = this.buf.slice(cut + 2);
      const f: SseFrame = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'id') f.id = value;
        else if (field === 'event') f.event = value;
      }
      if (data.length) {
        f.data = data.join('\n');
        frames.push(f);
      }
    }
    return frames;
  }
}

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

/** Follows the stream from `after` until `signal` aborts. */
export async function follow(
  after: number,
  signal: AbortSignal,
  on: StreamHandlers,
): Promise<void> {
  let last = after;
  let backoff = 500;
  while (!signal.aborted) {
    on.onStatus('connecting');
    try {
      const res = await fetch(`/api/v1/events/stream${qs({ after: last })}`, {
        headers: { Authorization: `Bearer ${getToken() ?? ''}`, Accept: 'text/event-stream' },
        signal,
        cache: 'no-store',
      });
      if (!res.ok || !res.body) {
        let msg = `HTTP ${res.status}`;
        try {
          const j = await res.json();
          if (j?.error)
            msg = new ApiError(res.status, j.error.code, j.error.message, j.error.field).describe();
        } catch {
          /* keep the status line */
        }
        if (res.status === 401 || res.status === 403) {
          on.onStatus('retrying', `${msg}; not retrying`);
          return;
        }
        throw new Error(msg);
      }
      on.onStatus('open');
      backoff = 500;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const f of parser.push(value)) {
          if (f.event && f.event !== 'event') continue;
          const ev = JSON.parse(f.data) as CocreateEvent;
          if (ev.seq <= last) continue;
          last = ev.seq;
          on.onEvent(ev);
        }
      }
      if (signal.aborted) return;
      on.onStatus('retrying', 'the stream ended; reconnecting');
    } catch (e) {
      if (signal.aborted || (e as Error).name === 'AbortError') return;
      on.onStatus(
        'retrying',
        `${(e as Error).message}; reconnecting in ${Math.round(backoff / 100) / 10} s`,
      );
    }
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 10_000);
  }
}
