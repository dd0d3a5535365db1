// The live event feed: the last events, then every new one as it is accepted.
import { describeError, type CocreateEvent } from '../api';
import { h, errorBox, fmtTime, link } from '../dom';
import { follow, latestSeq } from '../events';
import type { View } from './common';

const KEEP = 300;
const BACKLOG = 30;

function subjectKind(type: string): string {
  const noun = type.split('.')[0];
  if (noun === 'token' || noun === 'role') return 'organization';
  if (noun === 'access') return 'relationship';
  if (noun === 'consumer_group') return 'consumer-group';
  return noun;
}

export const eventsView: View = async (root, _params, ctx) => {
  const status = h(
    'p',
    { class: 'muted', 'aria-live': 'polite', 'data-testid': 'stream-status' },
    'Connecting…',
  );
  const list = h('ol', { class: 'events', 'data-testid': 'events', reversed: true });
  let paused = false;
  const pending: CocreateEvent[] = [];
  const pauseBtn = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    pauseBtn.setAttribute('aria-pressed', String(paused));
    if (!paused) flush();
  });
  root.append(h('h1', null, 'Live events'), h('div', { class: 'actions' }, pauseBtn, status), list);

  let scheduled = false;
  function flush(): void {
    scheduled = false;
    if (paused) return;
    const frag = document.createDocumentFragment();
    for (const e of pending.splice(0)) {
      frag.prepend(
        h(
          'li',
          { 'data-seq': String(e.seq), 'data-type': e.type },
          h('span', { class: 'seq' }, `#${e.seq}`),
          ' ',
          h('time', { datetime: e.at }, fmtTime(e.at)),
          ' ',
          h('strong', null, e.type),
          ' · ',
          e.subject ? link(subjectKind(e.type), e.subject) : '',
          ' · by ',
          e.actor === 'admin' ? 'admin' : link('organization', e.actor),
        ),
      );
    }
    list.prepend(frag);
    while (list.children.length > KEEP) list.lastElementChild!.remove();
  }
  const onEvent = (e: CocreateEvent) => {
    pending.push(e);
    if (pending.length > KEEP) pending.splice(0, pending.length - KEEP);
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(flush);
    }
  };

  let start: number;
  try {
    start = Math.max(0, (await latestSeq(ctx.signal)) - BACKLOG);
  } catch (e) {
    if (ctx.signal.aborted) return;
    root.append(errorBox(`The event log could not be read: ${describeError(e)}`));
    return;
  }
  void follow(start, ctx.signal, {
    onEvent,
    onStatus: (s, detail) => {
      status.textContent =
        s === 'open'
          ? 'Live: new events appear at the top.'
          : s === 'connecting'
            ? 'Connecting…'
            : `Disconnected: ${detail ?? ''}`;
      status.dataset.state = s;
    },
  });
};
