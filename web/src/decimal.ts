// Money as exact decimals. The server writes amounts as JSON numbers with up to 15 digits
// before the point and 4 after (19 significant digits: more than a double holds), so the
// UI never lets them become JS numbers: reading, it keeps each amount as the literal the
// server wrote (a Decimal, a string); writing, it puts the literal a person typed into the
// body as a JSON number, digit for digit. Nothing here adds amounts: sums are the server's.

/** A decimal exactly as written, in plain notation: "8026.39", "-0.0001", "18500". */
export type Decimal = string;

const MONEY_LIMIT = /^-?\d{1,15}(?:\.\d{1,4})?$/;

/** null when `text` is an amount the server takes (plain decimal, at most 15 digits before
 *  the point and 4 after); otherwise why not, in words. */
export function checkAmount(text: string): string | null {
  const t = text.trim();
  if (!t) return 'an amount is required';
  if (!/^-?(?:\d+)(?:\.\d+)?$/.test(t))
    return `"${t}" is not a plain decimal number (like 1250.50)`;
  if (!MONEY_LIMIT.test(t)) return `"${t}" has more than 15 digits before the point or 4 after it`;
  return null;
}

/** The plain decimal notation of a JSON number literal: "1.5e3" → "1500", "1e-5" → "0.00001".
 *  Digits are moved, never computed, so nothing is rounded. */
export function plainDecimal(literal: string): Decimal {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal.trim());
  if (!m) return literal;
  const [, sign, int, frac = '', exp] = m;
  if (!exp) return literal.trim();
  const shift = Number(exp);
  let digits = int + frac;
  let point = int.length + shift; // where the point goes in `digits`
  if (point <= 0) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) {
    digits = digits + '0'.repeat(point - digits.length);
  }
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const part = digits.slice(point).replace(/0+$/, '');
  return `${sign}${whole}${part ? `.${part}` : ''}`;
}

/** Whether the number at `path` (keys from the root; array positions as their index) is
 *  money: an `amount`, or a currency's sum in `costs.introduced` / `costs.removed`. */
export function isMoneyPath(path: readonly string[]): boolean {
  const n = path.length;
  if (n && path[n - 1] === 'amount') return true;
  return (
    n >= 3 && path[n - 3] === 'costs' && (path[n - 2] === 'introduced' || path[n - 2] === 'removed')
  );
}

// JSON strings may not hold control characters (RFC 8259 §7): the class leaves them out.
// eslint-disable-next-line no-control-regex
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** JSON.parse, except that each number `isMoney(path)` picks stays the literal the text
 *  holds (in plain notation): a Decimal. Throws SyntaxError on malformed JSON. */
export function parseJsonExact(
  text: string,
  isMoney: (path: readonly string[]) => boolean = isMoneyPath,
): unknown {
  let i = 0;
  const path: string[] = [];
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at position ${i} of the answer`);
  };
  const ws = () => {
    while (
      i < text.length &&
      (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')
    )
      i++;
  };
  const token = (re: RegExp): string | null => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return null;
    i = re.lastIndex;
    return m[0];
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        const k = token(STRING);
        if (k === null) fail('expected a key');
        const key = JSON.parse(k!) as string;
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        path.push(key);
        out[key] = value();
        path.pop();
        ws();
        const sep = text[i++];
        if (sep === '}') return out;
        if (sep !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        path.push(String(out.length));
        out.push(value());
        path.pop();
        ws();
        const sep = text[i++];
        if (sep === ']') return out;
        if (sep !== ',') fail('expected "," or "]"');
      }
    }
    if (c === '"') {
      const s = token(STRING);
      if (s === null) fail('malformed string');
      return JSON.parse(s!);
    }
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const n = token(NUMBER);
    if (n === null) return fail('unexpected character');
    return isMoney(path) ? plainDecimal(n) : Number(n);
  };
  const v = value();
  ws();
  if (i !== text.length) fail('unexpected text after the value');
  return v;
}

/** An amount to send as a JSON number written exactly as `literal` (see stringifyExact). */
export class Amount {
  constructor(readonly literal: Decimal) {
    const why = checkAmount(literal);
    if (why) throw new Error(why);
  }
}

/** JSON.stringify, with each Amount written as its literal number (never through a double). */
export function stringifyExact(value: unknown): string {
  const tag = `\u0000amount${Math.random().toString(36).slice(2)}:`;
  const text = JSON.stringify(value, (_k, v) => (v instanceof Amount ? tag + v.literal.trim() : v));
  if (text === undefined) return text;
  // JSON.stringify writes the NUL of the tag as \u0000, inside quotes.
  const quoted = JSON.stringify(tag).slice(1, -1);
  return text
    .split(`"${quoted}`)
    .map((part, k) => (k === 0 ? part : part.replace(/^([^"]*)"/, '$1')))
    .join('');
}
