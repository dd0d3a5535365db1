// Money stays exact: amounts read as the literal the server wrote, and sent digit for digit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Amount, checkAmount, isMoneyPath, parseJsonExact, plainDecimal, stringifyExact } from '../../src/decimal';

test('parseJsonExact keeps amounts and cost sums as written, everything else as JSON.parse reads it', () => {
  const text = `{"price": {"amount": 123456789012345.1234, "currency": "EUR", "period": "month"},
    "provider_stated": {"provisions": 2, "costs": {"introduced": {"EUR": 8026.39, "USD": 0.10}, "removed": {}}},
    "value": 99.5, "items": [{"amount": 12.50}, {"n": -1e3}], "ok": true, "none": null, "s": "a \\"q\\" \\u00e9"}`;
  const v = parseJsonExact(text) as any;
  assert.equal(v.price.amount, '123456789012345.1234');
  assert.equal(v.price.currency, 'EUR');
  assert.deepEqual(v.provider_stated.costs.introduced, { EUR: '8026.39', USD: '0.10' });
  assert.equal(v.provider_stated.provisions, 2);
  assert.equal(v.value, 99.5);
  assert.equal(v.items[0].amount, '12.50');
  assert.equal(v.items[1].n, -1000);
  assert.equal(v.ok, true);
  assert.equal(v.none, null);
  assert.equal(v.s, 'a "q" é');
  // Without money in it, the same as JSON.parse.
  const plain = '{"a": [1, 2.5, {"b": "c"}], "d": {}, "e": []}';
  assert.deepEqual(parseJsonExact(plain), JSON.parse(plain));
});

test('parseJsonExact refuses malformed JSON', () => {
  for (const bad of ['{', '{"a" 1}', '[1,]', '{"a": 1} x', 'nul', '"unterminated']) assert.throws(() => parseJsonExact(bad), SyntaxError, bad);
});

test('isMoneyPath: an amount anywhere, a currency sum under costs.introduced or costs.removed', () => {
  assert.equal(isMoneyPath(['price', 'amount']), true);
  assert.equal(isMoneyPath(['items', '0', 'costs', '1', 'amount']), true);
  assert.equal(isMoneyPath(['value', '0', 'consumer_stated', 'costs', 'removed', 'EUR']), true);
  assert.equal(isMoneyPath(['costs', 'introduced']), false);
  assert.equal(isMoneyPath(['objective']), false);
  assert.equal(isMoneyPath([]), false);
});

test('plainDecimal moves the point instead of computing', () => {
  assert.equal(plainDecimal('1e-5'), '0.00001');
  assert.equal(plainDecimal('1.5E3'), '1500');
  assert.equal(plainDecimal('-2.50e1'), '-25');
  assert.equal(plainDecimal('123456789012345.1234'), '123456789012345.1234');
  assert.equal(plainDecimal('0.5e0'), '0.5');
  assert.equal(plainDecimal('12.5e-1'), '1.25');
});

test('checkAmount: plain decimals within 15 digits before the point and 4 after', () => {
  assert.equal(checkAmount('1250.50'), null);
  assert.equal(checkAmount('-0.0001'), null);
  assert.equal(checkAmount('999999999999999.9999'), null);
  assert.match(checkAmount('')!, /required/);
  assert.match(checkAmount('1e3')!, /plain decimal/);
  assert.match(checkAmount('12,5')!, /plain decimal/);
  assert.match(checkAmount('1.23456')!, /4 after/);
  assert.match(checkAmount('1234567890123456')!, /15 digits/);
});

test('stringifyExact writes an Amount as its literal number, digit for digit', () => {
  const body = { costs: [{ amount: new Amount('123456789012345.1234'), currency: 'EUR', kind: 'introduced' }], note: 'a "quoted" \u0000 note', n: 1.5 };
  const text = stringifyExact(body);
  assert.ok(text.includes('"amount":123456789012345.1234,'), text);
  assert.deepEqual(parseJsonExact(text), { costs: [{ amount: '123456789012345.1234', currency: 'EUR', kind: 'introduced' }], note: 'a "quoted" \u0000 note', n: 1.5 });
  assert.equal(stringifyExact({ a: [1, 'x'] }), JSON.stringify({ a: [1, 'x'] }));
  assert.equal(stringifyExact([new Amount('7'), new Amount('0.25')]), '[7,0.25]');
  assert.throws(() => new Amount('1.23456'));
});
