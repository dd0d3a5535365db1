// Money stays exact: amounts read as the literal the server wrote, and sent digit for digit.
import { expect, test } from 'vitest';
import {
  Amount,
  checkAmount,
  isMoneyPath,
  parseJsonExact,
  plainDecimal,
  stringifyExact,
} from './decimal';

test('parseJsonExact keeps amounts and cost sums as written, everything else as JSON.parse reads it', () => {
  const text = `{"price": {"amount": 123456789012345.1234, "currency": "EUR", "period": "month"},
    "provider_stated": {"provisions": 2, "costs": {"introduced": {"EUR": 8026.39, "USD": 0.10}, "removed": {}}},
    "value": 99.5, "items": [{"amount": 12.50}, {"n": -1e3}], "ok": true, "none": null, "s": "a \\"q\\" \\u00e9"}`;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the parsed JSON is examined path by path
  const v = parseJsonExact(text) as any;
  expect(v.price.amount).toBe('123456789012345.1234');
  expect(v.price.currency).toBe('EUR');
  expect(v.provider_stated.costs.introduced).toStrictEqual({ EUR: '8026.39', USD: '0.10' });
  expect(v.provider_stated.provisions).toBe(2);
  expect(v.value).toBe(99.5);
  expect(v.items[0].amount).toBe('12.50');
  expect(v.items[1].n).toBe(-1000);
  expect(v.ok).toBe(true);
  expect(v.none).toBe(null);
  expect(v.s).toBe('a "q" é');
  // Without money in it, the same as JSON.parse.
  const plain = '{"a": [1, 2.5, {"b": "c"}], "d": {}, "e": []}';
  expect(parseJsonExact(plain)).toStrictEqual(JSON.parse(plain));
});

test('parseJsonExact refuses malformed JSON', () => {
  for (const bad of ['{', '{"a" 1}', '[1,]', '{"a": 1} x', 'nul', '"unterminated'])
    expect(() => parseJsonExact(bad)).toThrow(SyntaxError);
});

test('isMoneyPath: an amount anywhere, a currency sum under costs.introduced or costs.removed', () => {
  expect(isMoneyPath(['price', 'amount'])).toBe(true);
  expect(isMoneyPath(['items', '0', 'costs', '1', 'amount'])).toBe(true);
  expect(isMoneyPath(['value', '0', 'consumer_stated', 'costs', 'removed', 'EUR'])).toBe(true);
  expect(isMoneyPath(['costs', 'introduced'])).toBe(false);
  expect(isMoneyPath(['objective'])).toBe(false);
  expect(isMoneyPath([])).toBe(false);
});

test('plainDecimal moves the point instead of computing', () => {
  expect(plainDecimal('1e-5')).toBe('0.00001');
  expect(plainDecimal('1.5E3')).toBe('1500');
  expect(plainDecimal('-2.50e1')).toBe('-25');
  expect(plainDecimal('123456789012345.1234')).toBe('123456789012345.1234');
  expect(plainDecimal('0.5e0')).toBe('0.5');
  expect(plainDecimal('12.5e-1')).toBe('1.25');
});

test('checkAmount: plain decimals within 15 digits before the point and 4 after', () => {
  expect(checkAmount('1250.50')).toBe(null);
  expect(checkAmount('-0.0001')).toBe(null);
  expect(checkAmount('999999999999999.9999')).toBe(null);
  expect(checkAmount('')!).toMatch(/required/);
  expect(checkAmount('1e3')!).toMatch(/plain decimal/);
  expect(checkAmount('12,5')!).toMatch(/plain decimal/);
  expect(checkAmount('1.23456')!).toMatch(/4 after/);
  expect(checkAmount('1234567890123456')!).toMatch(/15 digits/);
});

test('stringifyExact writes an Amount as its literal number, digit for digit', () => {
  const body = {
    costs: [{ amount: new Amount('123456789012345.1234'), currency: 'EUR', kind: 'introduced' }],
    note: 'a "quoted" \u0000 note',
    n: 1.5,
  };
  const text = stringifyExact(body);
  expect(text.includes('"amount":123456789012345.1234,')).toBeTruthy();
  expect(parseJsonExact(text)).toStrictEqual({
    costs: [{ amount: '123456789012345.1234', currency: 'EUR', kind: 'introduced' }],
    note: 'a "quoted" \u0000 note',
    n: 1.5,
  });
  expect(stringifyExact({ a: [1, 'x'] })).toBe(JSON.stringify({ a: [1, 'x'] }));
  expect(stringifyExact([new Amount('7'), new Amount('0.25')])).toBe('[7,0.25]');
  expect(() => new Amount('1.23456')).toThrow();
});
