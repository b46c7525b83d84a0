/**
 * Amazon EventBridge event-pattern matching. The local runtime routes domain events through the
 * same rules the Events stack deploys, so this has to agree with EventBridge, not merely resemble it.
 *
 * The semantics are those of AWS's documentation (event pattern syntax, comparison operators,
 * arrays, null values and empty strings). Where the documentation is silent or loose, we follow
 * aws/event-ruler, the library EventBridge runs (EventBridge's validation messages are its
 * messages, which is why ours read the same), and results AWS's TestEventPattern API returned:
 *
 * - The event is flattened into leaves keyed by their dot-joined path ("detail.state"); an array
 *   contributes each element. So `{"a": {"b": …}}` and `{"a.b": …}` name the same field, in
 *   patterns and events alike, as in EventBridge.
 * - `$or` branches are multiplied out into sub-rules. A sub-rule matches when each of its fields
 *   has a leaf matching one of the field's alternatives, and the chosen leaves are array
 *   consistent: leaves from different elements of one array never combine.
 * - Operators are typed: prefix, suffix, wildcard, equals-ignore-case and cidr only match
 *   strings, numeric only numbers, and an exact number matches numerically (300 = 3.0e2).
 *   `anything-but` matches every present value (null, booleans and the other type included)
 *   except the excluded ones, and a missing field only ever matches `{"exists": false}`.
 * - Objects and empty arrays are not values: `{"exists": true}` needs a leaf there, and
 *   `{"exists": false}` matches where there is none (a missing parent included).
 *
 * Not modelled: EventBridge's "Rule is too complex" limit on wildcard patterns, its limits on
 * pattern size, and its equals-ignore-case for characters whose case mapping changes length
 * (ß → SS).
 */

/** A JSON scalar, matched exactly (numbers numerically). */
export type ExactValue = string | number | boolean | null;

type OneOrMore = string | readonly string[];

export type NumericFilter =
  | readonly ["=" | ">" | ">=" | "<" | "<=", number]
  | readonly [">" | ">=", number, "<" | "<=", number];

/** A content filter: an object with exactly one operator. */
export type ContentFilter =
  | { readonly prefix: string | { readonly "equals-ignore-case": string } }
  | { readonly suffix: string | { readonly "equals-ignore-case": string } }
  | { readonly "equals-ignore-case": string }
  | { readonly wildcard: string }
  | {
      readonly "anything-but":
        | string
        | number
        | readonly string[]
        | readonly number[]
        | { readonly prefix: OneOrMore }
        | { readonly suffix: OneOrMore }
        | { readonly "equals-ignore-case": OneOrMore }
        | { readonly wildcard: OneOrMore };
    }
  | { readonly numeric: NumericFilter }
  | { readonly exists: boolean }
  | { readonly cidr: string };

/**
 * A field is matched by a list of alternatives, or descended into with a nested pattern; `$or`
 * (at any level) takes a list of two or more patterns.
 */
export type FieldPattern = readonly (ExactValue | ContentFilter)[] | EventPattern | readonly EventPattern[];

export interface EventPattern {
  readonly [field: string]: FieldPattern;
}

/** The problems EventBridge would reject the pattern for; empty when it is valid. */
export function validatePattern(pattern: unknown): string[] {
  return compile(pattern).errors;
}

/**
 * Whether the event matches the pattern. The event is taken as the JSON it would be sent as;
 * anything but a JSON object matches nothing. Throws on an invalid pattern (see
 * validatePattern). A pattern is compiled once and cached, so don't mutate it after use.
 */
export function matches(pattern: EventPattern, event: unknown): boolean {
  let rules = compiledRules.get(pattern);
  if (!rules) {
    const { errors, rules: compiled } = compile(pattern);
    if (errors.length > 0) throw new TypeError(`invalid event pattern: ${errors.join("; ")}`);
    rules = compiled.map((rule) => [...rule.values()].sort((a, b) => (a.path < b.path ? -1 : 1)));
    compiledRules.set(pattern, rules);
  }
  // The round trip also applies toJSON (dates) and drops undefined, as sending the event would.
  const json: unknown = JSON.parse(JSON.stringify(event) ?? "null");
  if (!isObject(json)) return false;
  const leaves = flatten(json);
  // Fields in path order, as event-ruler walks them: `{"exists": false}` looks for a leaf
  // consistent with the ones chosen before it.
  return rules.some((fields) => matchFrom(fields, 0, leaves, new Map()));
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

type Scalar = string | number | boolean | null;

/** Array id → element index, for each array of objects (or arrays) the leaf lies in. */
type Membership = ReadonlyMap<number, number>;

interface Leaf {
  value: Scalar;
  arrays: Membership;
}

function flatten(event: Record<string, unknown>): Map<string, Leaf[]> {
  const leaves = new Map<string, Leaf[]>();
  let arrayCount = 0;
  const visit = (value: unknown, path: string | undefined, arrays: Membership): void => {
    if (Array.isArray(value)) {
      const id = arrayCount++;
      value.forEach((element, i) =>
        // Like event-ruler, only an object or array element marks its leaves with the element.
        visit(element, path, typeof element === "object" && element !== null ? new Map(arrays).set(id, i) : arrays),
      );
    } else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) visit(child, join(path, key), arrays);
    } else if (path !== undefined) {
      const list = leaves.get(path) ?? [];
      list.push({ value: value as Scalar, arrays });
      leaves.set(path, list);
    }
  };
  visit(event, undefined, new Map());
  return leaves;
}

function consistent(a: Membership, b: Membership): boolean {
  for (const [id, index] of b) if (a.has(id) && a.get(id) !== index) return false;
  return true;
}

function matchFrom(fields: readonly Field[], i: number, leaves: Map<string, Leaf[]>, arrays: Membership): boolean {
  const field = fields[i];
  if (!field) return true;
  const candidates = (leaves.get(field.path) ?? []).filter((leaf) => consistent(arrays, leaf.arrays));
  if (candidates.length === 0) return field.orAbsent && matchFrom(fields, i + 1, leaves, arrays);
  return candidates.some(
    (leaf) =>
      field.tests.some((test) => test(leaf.value)) &&
      matchFrom(fields, i + 1, leaves, new Map([...arrays, ...leaf.arrays])),
  );
}

// ---------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------

type Test = (value: Scalar) => boolean;

/** One field of a sub-rule: its alternatives, and whether `{"exists": false}` is one of them. */
interface Field {
  path: string;
  tests: Test[];
  orAbsent: boolean;
}

/** A sub-rule by field path. */
type Rule = Map<string, Field>;

const compiledRules = new WeakMap<EventPattern, Field[][]>();

/** event-ruler refuses these as field names inside `$or`, to keep `$or` unambiguous. */
const RESERVED_IN_OR = new Set([
  ...["exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard", "numeric", "cidr"],
  ...["=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case"],
  ...["date-after", "date-on-or-after", "date-before", "date-on-or-before", "in-date-range"],
  ...["ip-address-in-range", "ip-address-not-in-range"],
]);

/** Reports a problem; returns undefined so that callers can `return fail(…)`. */
type Fail = (message: string) => undefined;

/**
 * Validates and compiles in one pass, the way event-ruler's JsonRuleCompiler does: every field
 * is written into every sub-rule built so far, and `$or` forks them per branch. (A path written
 * twice keeps the later one, as in event-ruler.)
 */
function compile(pattern: unknown): { errors: string[]; rules: Rule[] } {
  const errors: string[] = [];
  const rules: Rule[] = [];
  if (isObject(pattern)) compileObject(pattern, undefined, false, rules, errors);
  else errors.push("Filter is not an object");
  return { errors, rules };
}

function compileObject(
  pattern: Record<string, unknown>,
  path: string | undefined,
  inOr: boolean,
  rules: Rule[],
  errors: string[],
): void {
  const keys = Object.keys(pattern);
  if (keys.length === 0) errors.push(at(path, "Empty objects are not allowed"));
  for (const key of keys) {
    const value = pattern[key];
    if (key === "$or") {
      compileOr(value, path, rules, errors);
      continue;
    }
    const here = join(path, key);
    if (inOr && RESERVED_IN_OR.has(key)) {
      errors.push(at(here, `${key} is a reserved word which cannot be a field name inside $or`));
    } else if (Array.isArray(value)) {
      const field = compileField(value, here, (message) => void errors.push(at(here, message)));
      if (rules.length === 0) rules.push(new Map());
      for (const rule of rules) rule.set(here, field);
    } else if (isObject(value)) {
      compileObject(value, here, inOr, rules, errors);
    } else {
      errors.push(at(here, `"${key}" must be an object or an array`));
    }
  }
}

function compileOr(branches: unknown, path: string | undefined, rules: Rule[], errors: string[]): void {
  const where = join(path, "$or");
  if (!Array.isArray(branches) || branches.length < 2 || !branches.every(isObject)) {
    errors.push(at(where, "$or must be an array of at least 2 objects"));
    return;
  }
  const before = rules.splice(0);
  for (const branch of branches) {
    const forked = before.length === 0 ? [new Map()] : before.map((rule) => new Map(rule));
    compileObject(branch, path, true, forked, errors);
    rules.push(...forked);
  }
}

function compileField(values: readonly unknown[], path: string, fail: Fail): Field {
  const field: Field = { path, tests: [], orAbsent: false };
  if (values.length === 0) fail("Empty arrays are not allowed");
  for (const value of values) {
    if (typeof value === "string") field.tests.push(exactString(value));
    else if (typeof value === "number" || typeof value === "boolean" || value === null) {
      if (typeof value === "number" && !Number.isFinite(value)) fail(`${value} is not a JSON number`);
      field.tests.push((v) => v === value);
    } else if (isObject(value)) {
      const test = compileFilter(value, fail);
      if (test === ABSENT) field.orAbsent = true;
      else if (test) field.tests.push(test);
    } else {
      fail("Match value must be String, number, true, false, or null");
    }
  }
  return field;
}

const ABSENT = Symbol("exists: false");

function compileFilter(filter: Record<string, unknown>, fail: Fail): Test | typeof ABSENT | undefined {
  const [operator, ...more] = Object.keys(filter);
  if (operator === undefined) return fail("Match expression name not found");
  if (more.length > 0) return fail("Only one key allowed in match expression");
  const operand = filter[operator];
  switch (operator) {
    case "prefix":
    case "suffix": {
      const ignoreCase = isObject(operand);
      const text = ignoreCase ? ignoreCaseOperand(operator, operand, fail) : operand;
      if (typeof text !== "string") return ignoreCase ? undefined : fail(`${operator} match pattern must be a string`);
      return onStrings(stringPredicate(ignoreCase ? `${operator}-ignore-case` : operator, text));
    }
    case "equals-ignore-case":
    case "wildcard": {
      if (typeof operand !== "string") return fail(`${operator} match pattern must be a string`);
      const error = operator === "wildcard" ? wildcardSyntaxError(operand) : undefined;
      return error ? fail(error) : onStrings(stringPredicate(operator, operand));
    }
    case "anything-but":
      return compileAnythingBut(operand, fail);
    case "numeric":
      return compileNumeric(operand, fail);
    case "exists":
      if (typeof operand !== "boolean") return fail("exists match pattern must be either true or false.");
      return operand ? () => true : ABSENT;
    case "cidr":
      return compileCidr(operand, fail);
    default:
      return fail(`Unrecognized match type ${operator}`);
  }
}

/** The string of `{"equals-ignore-case": "…"}` nested in prefix or suffix. */
function ignoreCaseOperand(operator: string, operand: Record<string, unknown>, fail: Fail): string | undefined {
  const keys = Object.keys(operand);
  if (keys.length !== 1 || keys[0] !== "equals-ignore-case") {
    return fail(`Unsupported ${operator} pattern: ${keys.join(", ")}`);
  }
  const text = operand["equals-ignore-case"];
  return typeof text === "string" ? text : fail("equals-ignore-case match pattern must be a string");
}

function compileAnythingBut(operand: unknown, fail: Fail): Test | undefined {
  if (isObject(operand)) {
    const [kind, ...more] = Object.keys(operand);
    if (kind === undefined) return fail("Anything-but expression name not found");
    if (more.length > 0) return fail("Only one key allowed in match expression");
    if (!["prefix", "suffix", "equals-ignore-case", "wildcard"].includes(kind)) {
      return fail(`Unsupported anything-but pattern: ${kind}`);
    }
    const inner = operand[kind];
    if (typeof inner !== "string" && typeof inner !== "number" && !Array.isArray(inner)) {
      return fail("Value of anything-but must be an array or single string/number value.");
    }
    const excluded: ((s: string) => boolean)[] = [];
    for (const text of Array.isArray(inner) ? inner : [inner]) {
      if (typeof text !== "string") {
        return fail(
          kind === "equals-ignore-case"
            ? "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
            : `${kind === "wildcard" ? "wildcard" : "prefix/suffix"} match pattern must be a string`,
        );
      }
      if (text === "" && (kind === "prefix" || kind === "suffix")) return fail("Null prefix/suffix not allowed");
      const error = kind === "wildcard" ? wildcardSyntaxError(text) : undefined;
      if (error) return fail(error);
      excluded.push(stringPredicate(kind, text));
    }
    return (v) => !(typeof v === "string" && excluded.some((is) => is(v)));
  }
  if (typeof operand === "string" || typeof operand === "number") return (v) => v !== operand;
  if (!Array.isArray(operand)) return fail("Value of anything-but must be an array or single string/number value.");
  if (!operand.every((v) => typeof v === "string" || typeof v === "number")) {
    return fail("Inside anything but list, start|null|boolean is not supported.");
  }
  if (operand.length === 0 || !operand.every((v) => typeof v === typeof operand[0])) {
    return fail("Inside anything but list, either all values are number or string, mixed type is not supported");
  }
  const excluded: readonly Scalar[] = operand;
  return (v) => !excluded.includes(v);
}

/** `[op, n]` or `[">"|">=", low, "<"|"<=", high]`, checked in event-ruler's order and words. */
function compileNumeric(operand: unknown, fail: Fail): Test | undefined {
  if (!Array.isArray(operand)) return fail("Value of numeric must be an array.");
  const [op, n, topOp, top] = operand as unknown[];
  if (typeof op !== "string") return fail(`Invalid member in numeric match: ${JSON.stringify(op)}`);
  if (!["=", "<", "<=", ">", ">="].includes(op)) return fail(`Unrecognized numeric range operator: ${op}`);
  if (!isNumber(n)) return fail(`Value of ${op === "=" ? "equals" : op} must be numeric`);
  if (operand.length === 2 || op === "=" || op === "<" || op === "<=") {
    if (operand.length > 2) return fail("Too many elements in numeric expression");
    return (v) => typeof v === "number" && compare(v, op, n);
  }
  if (typeof topOp !== "string") return fail(`Bad value in numeric range: ${JSON.stringify(topOp)}`);
  if (topOp !== "<" && topOp !== "<=") return fail(`Bad numeric range operator: ${topOp}`);
  if (!isNumber(top)) return fail(`Value of ${topOp} must be numeric`);
  if (operand.length > 4) return fail("Too many terms in numeric range expression");
  if (!(n < top)) return fail("Bottom must be less than top");
  return (v) => typeof v === "number" && compare(v, op, n) && compare(v, topOp, top);
}

function compare(v: number, op: string, n: number): boolean {
  return op === "=" ? v === n : op === "<" ? v < n : op === "<=" ? v <= n : op === ">" ? v > n : v >= n;
}

function compileCidr(operand: unknown, fail: Fail): Test | undefined {
  if (typeof operand !== "string") return fail("cidr match pattern must be a string");
  const parts = operand.split("/");
  if (parts.length !== 2) return fail("Malformed CIDR, one '/' required");
  const [ip = "", mask = ""] = parts;
  if (!/^[+-]?\d+$/.test(mask)) return fail("Malformed CIDR, mask bits must be an integer");
  const bits = Number(mask);
  if (bits < 0) return fail("Malformed CIDR, mask bits must not be negative");
  const base = parseIp(ip);
  if (!base) return fail(`Nonstandard IP address: ${ip}`);
  // event-ruler's bounds: a /32 (or /128) is written as the plain address instead.
  if (base.length === 4 && bits > 31) return fail("IPv4 mask bits must be < 32");
  if (base.length === 16 && bits > 127) return fail("IPv6 mask bits must be < 128");
  return onStrings((s) => {
    const address = parseIp(s);
    return address !== undefined && address.length === base.length && address.every((byte, i) => {
      const keep = Math.min(8, Math.max(0, bits - 8 * i));
      const mask = (0xff << (8 - keep)) & 0xff;
      return (byte & mask) === ((base[i] ?? 0) & mask);
    });
  });
}

/** An exact string; one that is an IP address matches that address however it is written. */
function exactString(text: string): Test {
  const ip = parseIp(text);
  if (!ip) return (v) => v === text;
  return onStrings((s) => s === text || parseIp(s)?.join(".") === ip.join("."));
}

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

function onStrings(predicate: (s: string) => boolean): Test {
  return (v) => typeof v === "string" && predicate(v);
}

function stringPredicate(kind: string, text: string): (s: string) => boolean {
  switch (kind) {
    case "prefix":
      return (s) => s.startsWith(text);
    case "suffix":
      return (s) => s.endsWith(text);
    case "wildcard":
      return wildcard(text);
    case "prefix-ignore-case":
      return ignoringCase(text, "prefix");
    case "suffix-ignore-case":
      return ignoringCase(text, "suffix");
    default:
      return ignoringCase(text, "equals");
  }
}

/**
 * event-ruler's case folding: each character of the pattern also matches its lower- and its
 * upper-case form (so this is not `toLowerCase()` on both sides).
 */
function ignoringCase(text: string, mode: "equals" | "prefix" | "suffix"): (s: string) => boolean {
  const pattern = Array.from(text);
  return (s) => {
    const chars = Array.from(s);
    if (mode === "equals" ? chars.length !== pattern.length : chars.length < pattern.length) return false;
    const offset = mode === "suffix" ? chars.length - pattern.length : 0;
    return pattern.every((p, i) => {
      const c = chars[offset + i];
      return c === p || c === p.toLowerCase() || c === p.toUpperCase();
    });
  };
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcard(text: string): (s: string) => boolean {
  const parts = [""];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "*") parts.push("");
    else parts[parts.length - 1] += c === "\\" ? (text[++i] ?? "") : (c ?? "");
  }
  const first = parts[0] ?? "";
  const last = parts[parts.length - 1] ?? "";
  if (parts.length === 1) return (s) => s === first;
  // Leftmost matches of the middle parts are always as good as any: linear, no backtracking.
  return (s) => {
    if (s.length < first.length + last.length || !s.startsWith(first) || !s.endsWith(last)) return false;
    const end = s.length - last.length;
    let from = first.length;
    for (const part of parts.slice(1, -1)) {
      const found = s.indexOf(part, from);
      if (found < 0 || found + part.length > end) return false;
      from = found + part.length;
    }
    return true;
  };
}

function wildcardSyntaxError(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "*" && text[i + 1] === "*") return `Consecutive wildcard characters at pos ${i}`;
    if (text[i] === "\\") {
      if (text[i + 1] !== "*" && text[i + 1] !== "\\") return `Invalid escape character at pos ${i}`;
      i++;
    }
  }
  return undefined;
}

/** The 4 or 16 bytes of an IPv4 or IPv6 address literal (no zone, no embedded IPv4). */
function parseIp(text: string): number[] | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const bytes = v4.slice(1).map(Number);
    return bytes.every((b) => b <= 255) ? bytes : undefined;
  }
  if (!/^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined) => (half ? half.split(":") : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const zeros = 8 - head.length - tail.length;
  if (halves.length === 2 ? zeros < 1 : zeros !== 0) return undefined;
  const groups = [...head, ...Array<string>(zeros).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

// ---------------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** Paths join with dots, as event-ruler joins them (hence `{"a.b": …}` = `{"a": {"b": …}}`). */
function join(path: string | undefined, key: string): string {
  return path === undefined ? key : `${path}.${key}`;
}

function at(path: string | undefined, message: string): string {
  return path === undefined ? message : `${path}: ${message}`;
}
