// The API client's pure parts: query strings and how a refusal is worded.
import { expect, test } from 'vitest';
import { ApiError, describeError, qs } from './api';

test('qs: leaves out undefined, null and empty values; encodes the rest', () => {
  expect(qs({})).toBe('');
  expect(qs({ a: undefined, b: null, c: '' })).toBe('');
  expect(qs({ from: 'org 1', limit: 10, explain: true, zero: 0 })).toBe(
    '?from=org+1&limit=10&explain=true&zero=0',
  );
  expect(qs({ to: '2026-01-01T00:00:00+01:00' })).toBe('?to=2026-01-01T00%3A00%3A00%2B01%3A00');
});

test('ApiError.describe: status, code, the server message and the field at fault', () => {
  expect(new ApiError(409, 'in_use', 'service svc-1 is in use', 'built_on[0]').describe()).toBe(
    'HTTP 409 in_use: service svc-1 is in use (field: built_on[0])',
  );
  expect(new ApiError(404, 'not_found', 'no such organization').describe()).toBe(
    'HTTP 404 not_found: no such organization',
  );
  // A network failure has no status.
  expect(new ApiError(0, 'network', 'the server could not be reached').describe()).toBe(
    'network: the server could not be reached',
  );
});

test('describeError: ApiErrors described, other errors by message, anything else as text', () => {
  expect(describeError(new ApiError(403, 'forbidden', 'viewers only read'))).toBe(
    'HTTP 403 forbidden: viewers only read',
  );
  expect(describeError(new Error('boom'))).toBe('boom');
  expect(describeError('plain')).toBe('plain');
});
