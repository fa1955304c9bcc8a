import fc from "fast-check";

/**
 * The values the fuzzer puts in bodies, paths and headers. A body is a tree of plain JSON values plus three
 * node types the plan needs: `Obj` (ordered entries, so duplicate keys and `__proto__` survive), `Raw` (JSON
 * text written verbatim: 1e309, -0, deep nesting) and `Ref` (a value of the request's own world, minted when
 * the request is sent: a real token, session id, challenge code…).
 */
export class Obj {
  constructor(readonly entries: Array<[string, Node]>) {}
}
export class Raw {
  constructor(readonly text: string) {}
}

export type RefName =
  | "email"
  | "otherEmail"
  | "freshEmail"
  | "unverifiedEmail"
  | "password"
  | "userId"
  | "otherUserId"
  | "sessionId"
  | "otherSessionId"
  | "foreignSessionId"
  | "challengeId"
  | "verificationId"
  | "code"
  | "token:verify_email"
  | "token:reset_password"
  | "token:change_email"
  | "token:unlock_sign_in"
  | "freshPhone"
  | "ownPhone"
  | "takenPhone";

/** A world value, optionally bent (a character more or less, other case, padded) so near-misses are tried too. */
export class Ref {
  constructor(
    readonly name: RefName,
    readonly bend: Bend = "as-is",
  ) {}
}
export type Bend = "as-is" | "append" | "truncate" | "upper" | "pad" | "flip-last" | "double";

export type Node = null | boolean | number | string | Raw | Ref | Obj | Node[];

export function bendValue(value: string, bend: Bend): string {
  switch (bend) {
    case "as-is":
      return value;
    case "append":
      return `${value}x`;
    case "truncate":
      return value.slice(0, -1);
    case "upper":
      return value.toUpperCase();
    case "pad":
      return ` ${value}\t`;
    case "flip-last":
      return value.slice(0, -1) + (value.endsWith("A") ? "B" : "A");
    case "double":
      return value + value;
  }
}

export const ref = (name: RefName) =>
  fc
    .constantFrom<Bend>("as-is", "as-is", "as-is", "as-is", "append", "truncate", "upper", "pad", "flip-last", "double")
    .map((bend) => new Ref(name, bend));

/** JSON text of a node (after refs are resolved); keys are written in order, duplicates kept. */
export function toJsonText(node: Node): string {
  if (node instanceof Raw) return node.text;
  if (node instanceof Ref) throw new Error("unresolved ref");
  if (node instanceof Obj)
    return `{${node.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(",")}}`;
  if (Array.isArray(node)) return `[${node.map(toJsonText).join(",")}]`;
  return JSON.stringify(node) ?? "null";
}

const KiB = 1024;

/** Strings that have broken parsers, databases and normalizers somewhere. */
export const nastyStrings = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "x\ud83d",
  "\u202eevil\u202c",
  "\u200b\u200c\u200d\ufeff",
  "\ufeff{}",
  "👩‍👩‍👧‍👦",
  "🤷🏽‍♀️",
  "e\u0301\u0301\u0301\u0301",
  "Z̸̡̢̛̗̘̙̜̝̞̟̠̣̤̥̦̩̪̫̬̭̮̯̰̹̺̻̼͇͈͉͍͎̀́̂̃̄̅̆̇̈̉̊̋̌̍̎̏̐̑̒̓̔̽̾̿̀́͂̓̈́͆͊͋͌̕̚ͅ",
  "İıŞşĞğ",
  "ß",
  "ﬃ",
  "שלום עולם",
  "مرحبا",
  "中文字符",
  "\r\n",
  "\t",
  "\x7f",
  "\u0085",
  "\u2028\u2029",
  "%",
  "%00",
  "%zz",
  "%E0%A4%A",
  "../../../etc/passwd",
  "..\\..\\windows",
  "<script>alert(1)</script>",
  "' OR '1'='1' --",
  "'; DROP TABLE users; --",
  "$(reboot)",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  "${7*7}",
  "{{7*7}}",
  "__proto__",
  "constructor",
  "toString",
  "NaN",
  "null",
  "undefined",
  "true",
  "-0",
  "1e309",
  "0x41",
  "99999999999999999999999999999",
  "a".repeat(255),
  "\\",
  '"',
  "a@b",
  "a@example.com",
  "A@EXAMPLE.COM",
  "İ@example.com",
  "a+tag@example.com",
  " a@example.com ",
  "a@example.com\u0000",
  "a@[127.0.0.1]",
  '"quoted"@example.com',
  "a@xn--80ak6aa92e.com",
  "+14155552671",
  "+1 (415) 555-2671",
  "+10000000000",
  "+999999999999999",
  "+",
  "000000",
  "123456",
  "12345",
  "1234567",
  "١٢٣٤٥٦",
  "１２３４５６",
];

const units = ["a", "é", "€", "😀", "\u0000", "\ud800", "%", "\\", '"', "<"];

const sizes = [254, 255, 300, 1024, 1025, 8 * KiB, 63 * KiB, 64 * KiB, 65 * KiB, 100 * KiB];

const base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Text that does not compress (a database compresses a repeated character to almost nothing), with no separators. */
function noise(length: number, seed: number): string {
  let x = seed | 1;
  let out = "";
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += base64[(x >>> 0) % 64];
  }
  return out;
}

/** Strings around the sizes that matter: column and field limits, index entries, and the 64 KiB body limit. */
export const hugeString = fc.oneof(
  fc
    .tuple(fc.constantFrom(...sizes), fc.constantFrom(...units))
    .map(([length, unit]) => unit.repeat(Math.ceil(length / unit.length))),
  fc.tuple(fc.constantFrom(...sizes), fc.nat()).map(([length, seed]) => noise(length, seed)),
);

export const anyString = fc.oneof(
  { arbitrary: fc.constantFrom(...nastyStrings), weight: 4 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: "binary-ascii", maxLength: 40 }), weight: 2 },
  { arbitrary: hugeString, weight: 1 },
);

const rawNumbers = [
  "1e309",
  "-1e309",
  "-0",
  "1e-400",
  "123456789012345678901234567890",
  "0.1e1",
  "1E2",
  "-",
  "01",
  "+1",
  ".5",
  "NaN",
  "Infinity",
  "0x10",
];

/** Wrong-typed and odd values for any field. */
export const junkValue: fc.Arbitrary<Node> = fc.oneof(
  {
    arbitrary: fc.constantFrom<Node>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_VALUE,
      [],
      new Obj([]),
    ),
    weight: 3,
  },
  { arbitrary: fc.constantFrom(...rawNumbers).map((text) => new Raw(text)), weight: 2 },
  { arbitrary: anyString, weight: 4 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Node>, weight: 2 },
  { arbitrary: fc.array(anyString, { maxLength: 3 }), weight: 1 },
  {
    arbitrary: fc.constantFrom(10, 1000, 100_000).map((depth) => new Raw("[".repeat(depth) + "]".repeat(depth))),
    weight: 1,
  },
  {
    arbitrary: fc
      .constantFrom(10, 1000, 20_000)
      .map((depth) => new Raw(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`)),
    weight: 1,
  },
);

/** Extra fields: unknown names, prototype names, names of real fields of other routes. */
export const extraKey = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "id",
    "emailVerified",
    "role",
    "isAdmin",
    "userId",
    "assuranceLevel",
    "twoFactor",
    "",
    " ",
    "email",
    "password",
  ),
  fc.string({ unit: "binary", maxLength: 12 }),
);

/** Header values: HTTP carries bytes, so any text is sent as its UTF-8 bytes read as Latin-1 (as Node would). */
export function headerSafe(text: string): string {
  return Buffer.from(text, "utf8")
    .toString("latin1")
    .replace(/[\0\r\n]/g, "")
    .trim();
}

/** A 10.x address per request: every request starts with fresh per-IP budgets. */
export const freshIp = fc
  .tuple(fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
  .map(([a, b, c]) => `10.${a}.${b}.${c}`);

export const oddIp = fc.oneof(
  fc.ipV6(),
  fc.constantFrom(
    "unknown",
    "::ffff:10.1.2.3",
    "127.0.0.1",
    "0.0.0.0",
    "::",
    "::1",
    "256.256.256.256",
    "1.2.3",
    "fe80::1%eth0",
    "[::1]:80",
    "10.0.0.1:8080",
    "_",
    "-",
    ",,,",
    " , ",
  ),
  anyString.map(headerSafe),
);
