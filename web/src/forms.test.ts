// What an edit form sends for each kind of field: nothing when unchanged.
import { expect, test } from 'vitest';
import { InputError, read, type FieldSpec } from './forms';

const spec = (kind: FieldSpec['kind'], value: unknown): FieldSpec => ({
  name: 'f',
  label: 'Field',
  kind,
  value,
});

test('read text: trimmed; undefined when unchanged', () => {
  expect(read(spec('text', 'Nimbus'), '  Nimbus ')).toBe(undefined);
  expect(read(spec('text', 'Nimbus'), ' Nimbus Cloud ')).toBe('Nimbus Cloud');
  expect(read(spec('text', undefined), '')).toBe(undefined);
  expect(read(spec('text', 'x'), '')).toBe('');
});

test('read textarea: kept as typed, white space included', () => {
  expect(read(spec('textarea', 'a'), 'a\n')).toBe('a\n');
  expect(read(spec('textarea', 'a\n'), 'a\n')).toBe(undefined);
});

test('read ids: a list, compared as a list', () => {
  expect(read(spec('ids', ['a', 'b']), 'a, b')).toBe(undefined);
  expect(read(spec('ids', ['a', 'b']), 'b a')).toStrictEqual(['b', 'a']);
  expect(read(spec('ids', undefined), '')).toBe(undefined);
  expect(read(spec('ids', ['a']), '')).toStrictEqual([]);
});

test('read json: parsed, key order does not count as a change, bad JSON names the field', () => {
  expect(read(spec('json', { a: 1, b: 2 }), '{"b": 2, "a": 1}')).toBe(undefined);
  expect(read(spec('json', { a: 1 }), '{"a": 2}')).toStrictEqual({ a: 2 });
  expect(read(spec('json', null), 'null')).toBe(undefined);
  expect(() => read(spec('json', null), '{')).toThrow(InputError);
  try {
    read(spec('json', null), '{');
  } catch (e) {
    expect((e as InputError).field).toBe('f');
    expect((e as InputError).message).toMatch(/^Field is not valid JSON/);
  }
});

test('read merge: the merge patch from the value to the text; an object is required', () => {
  expect(read(spec('merge', { tier: 'gold', region: 'eu' }), '{"tier": "gold"}')).toStrictEqual({
    region: null,
  });
  expect(read(spec('merge', { tier: 'gold' }), '{"tier": "gold"}')).toBe(undefined);
  expect(read(spec('merge', {}), '  ')).toBe(undefined);
  expect(read(spec('merge', { a: 1 }), '')).toStrictEqual({ a: null });
  expect(() => read(spec('merge', {}), '[1]')).toThrow(/must be a JSON object/);
});
