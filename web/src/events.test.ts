// The live feed's own decisions: when to reconnect and which messages are new events.
import { expect, test } from 'vitest';
import { eventOf, retryDelay } from './events';

const ev = (seq: number) => ({
  seq,
  type: 'organization.created',
  at: '2026-12-02T01:00:00Z',
  actor: 'admin',
  subject: 'org-1',
  data: {},
});

test('retryDelay: half a second, doubling, never over ten', () => {
  expect([0, 1, 2, 3, 4, 5, 6, 50].map(retryDelay)).toStrictEqual([
    500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
  ]);
});

test('eventOf: an `event` frame (or an unnamed one) after the last seq seen', () => {
  expect(eventOf({ event: 'event', data: JSON.stringify(ev(5)) }, 4)).toStrictEqual(ev(5));
  expect(eventOf({ event: '', data: JSON.stringify(ev(5)) }, 4)).toStrictEqual(ev(5));
  // Already shown: a resumed stream may repeat what came before the drop.
  expect(eventOf({ event: 'event', data: JSON.stringify(ev(4)) }, 4)).toBe(null);
  // Other named events and empty data carry no event.
  expect(eventOf({ event: 'ping', data: '{}' }, 0)).toBe(null);
  expect(eventOf({ event: '', data: '' }, 0)).toBe(null);
});

test('eventOf: a frame that is not JSON is an error, not a silent skip', () => {
  expect(() => eventOf({ event: 'event', data: '{' }, 0)).toThrow(SyntaxError);
});
