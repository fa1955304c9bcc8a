import fc from "fast-check";
import { NoGenerator, objectValue, type OpenApiDocument, type Operation, operationKey, paramValue } from "./schema";
import { anyString, freshIp, headerSafe, hugeString, junkValue, type Node, Obj, oddIp } from "./values";
import type { SubjectKind } from "./world";

/** How the request carries (or fakes) the subject's session. */
export type Credentials =
  | "none"
  | "cookie"
  | "bearer"
  | "cookie+bearer"
  | "host-cookie"
  | "cookie-twice"
  | "garbage-cookie"
  | "garbage-bearer"
  | "revoked-cookie"
  | "revoked-bearer"
  | "wrong-secret";
export type ChallengeCookie = "none" | "valid" | "wrong-binding" | "unbound" | "garbage";

export type BodyPlan =
  | { kind: "none" }
  | { kind: "json"; node: Node }
  | { kind: "truncated"; node: Node; at: number }
  | { kind: "text"; text: string }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "form"; fields: Array<[string, string]>; signature: "valid" | "wrong" | "none" | "garbage"; raw?: string }
  | { kind: "image"; bytes: Uint8Array; type: string };

/**
 * What to send, generated per route from its OpenAPI operation, with the world's values still symbolic: they are
 * minted when ./send.ts sends it.
 */
export interface RequestPlan {
  method: string;
  path: Array<string | { value: Node; encoding: "encoded" | "raw" }>;
  pathTweak: "none" | "trailing-slash" | "double-slash" | "upper" | "dot-segment" | "encoded-slash";
  query: string;
  subject: SubjectKind;
  cooled: boolean;
  credentials: Credentials;
  challengeCookie: ChallengeCookie;
  junk: { cookies: string[]; bearer: string; cookieValue: string; challengeValue: string };
  origin: "app" | "none" | string;
  referer: string | null;
  forwardedFor: string | null;
  peer: string;
  userAgent: string | null;
  extraHeaders: Array<[string, string]>;
  body: BodyPlan;
  contentType: "auto" | "none" | string;
  contentLength: "none" | "exact" | string;
  streamed: boolean;
}

const APP = "http://localhost:3000";
const WRITE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

// ---------------------------------------------------------------------------------------------- headers

const foreignOrigins = [
  "https://evil.example",
  "null",
  "http://localhost:3000.evil.example",
  "http://localhost:3001",
  "https://localhost:3000",
  "HTTP://LOCALHOST:3000",
  "http://localhost:3000/",
  "*",
  "",
  "file://",
  "http://[::1]:3000",
  "chrome-extension://abc",
];
const originArb = (write: boolean) =>
  fc.oneof(
    { arbitrary: fc.constant("app"), weight: write ? 16 : 2 },
    { arbitrary: fc.constant("none"), weight: write ? 2 : 10 },
    { arbitrary: fc.constantFrom(...foreignOrigins), weight: 2 },
    { arbitrary: anyString.map(headerSafe), weight: 1 },
  );
const refererArb = fc.option(
  fc.oneof(
    fc.constantFrom(
      `${APP}/profile`,
      `${APP}/sign-in?next=/x`,
      "https://evil.example/page",
      "not a url",
      "::::",
      "http://",
      `${APP}/${"a".repeat(9000)}`,
    ),
    anyString.map(headerSafe),
  ),
  { freq: 5, nil: null },
);
const forwardedForArb = fc.option(
  fc.oneof(
    { arbitrary: freshIp, weight: 4 },
    { arbitrary: fc.tuple(oddIp, freshIp).map(([a, b]) => `${a}, ${b}`), weight: 1 },
    {
      arbitrary: fc.tuple(freshIp, fc.oneof(oddIp, hugeString.map(headerSafe))).map(([a, b]) => `${a}, ${b}`),
      weight: 1,
    },
    { arbitrary: oddIp, weight: 2 },
    {
      arbitrary: fc.array(fc.oneof(freshIp, oddIp), { minLength: 2, maxLength: 60 }).map((ips) => ips.join(",")),
      weight: 1,
    },
    { arbitrary: hugeString.map(headerSafe), weight: 1 },
  ),
  { freq: 6, nil: null },
);
const userAgentArb = fc.option(
  fc.oneof(
    {
      arbitrary: fc.constantFrom(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
      ),
      weight: 4,
    },
    { arbitrary: anyString.map(headerSafe), weight: 2 },
    { arbitrary: hugeString.map(headerSafe), weight: 1 },
  ),
  { freq: 8, nil: null },
);
const headerName = fc.constantFrom(
  "accept",
  "accept-language",
  "accept-encoding",
  "x-http-method-override",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-real-ip",
  "forwarded",
  "host",
  "if-none-match",
  "range",
  "expect",
  "x-twilio-signature",
  "content-encoding",
  "sec-fetch-site",
  "upgrade",
  "connection",
);
const extraHeadersArb = fc.oneof(
  { arbitrary: fc.constant<Array<[string, string]>>([]), weight: 6 },
  {
    arbitrary: fc.array(
      fc
        .tuple(
          headerName,
          fc.oneof(
            anyString,
            fc.constantFrom("DELETE", "gzip", "100-continue", "bytes=0-1", "websocket", "evil.example", "*"),
          ),
        )
        .map(([k, v]) => [k, headerSafe(v)] as [string, string]),
      { maxLength: 4 },
    ),
    weight: 1,
  },
);

const junkCookie = fc.oneof(
  fc.constantFrom(
    "=",
    ";",
    "a",
    "=value",
    "twofold_session",
    "twofold_session=",
    "twofold_session=%E0%A4%A",
    'twofold_session="quoted"',
    "__Host-twofold_session=x.y",
    "twofold_challenge=%",
    `x=${"y".repeat(9000)}`,
  ),
  fc
    .tuple(fc.string({ unit: "grapheme-ascii", maxLength: 10 }), anyString)
    .map(([k, v]) => headerSafe(`${k}=${v}`).replace(/;/g, "")),
);
const cookieValueArb = fc.oneof(
  fc.constantFrom("", "x", "a.b", "undefined", "null", "%", "%00", "%ff%fe", `${"A".repeat(20)}.${"B".repeat(43)}`),
  anyString.map(headerSafe),
  hugeString.map(headerSafe).map((v) => v.replace(/;/g, "")),
);
const junkArb = fc.record({
  cookies: fc.oneof(
    { arbitrary: fc.constant<string[]>([]), weight: 5 },
    { arbitrary: fc.array(junkCookie, { maxLength: 6 }), weight: 2 },
    { arbitrary: fc.constantFrom(200, 2000).map((n) => Array.from({ length: n }, (_, i) => `c${i}=${i}`)), weight: 1 },
  ),
  bearer: fc.oneof(
    fc.constantFrom(
      "Bearer",
      "Bearer ",
      "Bearer  x",
      "bearer abc.def",
      "Basic dXNlcjpwYXNz",
      "Bearer a.b.c",
      `Bearer ${"A".repeat(22)}.${"B".repeat(43)}`,
      "Bearer null",
      "Token x",
    ),
    anyString.map((v) => headerSafe(`Bearer ${v}`)),
  ),
  cookieValue: cookieValueArb.map((v) => v.replace(/;/g, "")),
  challengeValue: cookieValueArb.map((v) => v.replace(/;/g, "")),
});

const credentialsArb = (authenticated: boolean) =>
  fc.oneof(
    {
      arbitrary: fc.constantFrom<Credentials>("cookie", "cookie", "bearer", "cookie+bearer"),
      weight: authenticated ? 12 : 3,
    },
    { arbitrary: fc.constant<Credentials>("none"), weight: authenticated ? 2 : 8 },
    {
      arbitrary: fc.constantFrom<Credentials>(
        "host-cookie",
        "cookie-twice",
        "garbage-cookie",
        "garbage-bearer",
        "revoked-cookie",
        "revoked-bearer",
        "wrong-secret",
      ),
      weight: 3,
    },
  );

// ---------------------------------------------------------------------------------------------- bodies

const malformedJson = [
  "",
  "{",
  "}",
  "{'email':'a@example.com'}",
  '{"a":1,}',
  "[1,]",
  "// c\n{}",
  '{"a":1} x',
  "\u0000",
  "nul",
  "tru",
  '"unterminated',
  '{"a":"\\x41"}',
  '{"a":"\\ud800"}',
  "\ufeff{}",
  "NaN",
  '{"a":1}{"b":2}',
  '{"a":01}',
  "{,}",
  '{"a" 1}',
  "[",
  '"\\u12"',
  '{"\u0000":1}',
];
const contentTypes = [
  "application/json",
  "application/json; charset=utf-8",
  "Application/JSON",
  "application/json;charset=latin1",
  "application/json; boundary=x",
  "text/plain",
  "text/json",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/merge-patch+json",
  "application/jsonx",
  "json",
  ";",
  "application/json, text/plain",
  "image/png",
  "*/*",
];

const textBody = fc.oneof(
  fc.constantFrom(...malformedJson),
  anyString,
  fc.constantFrom(
    "email=a%40example.com",
    "<email>a@example.com</email>",
    '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n--x--',
  ),
);
const bytesBody = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.constant(new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00])),
  fc.constant(new Uint8Array([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1])),
  fc.constant(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])),
);

function jsonBodyArb(op: Operation, doc: OpenApiDocument): fc.Arbitrary<BodyPlan> {
  const schema = op.spec.requestBody!.content["application/json"]!.schema;
  const object = objectValue(schema, doc, op);
  return fc.oneof(
    { arbitrary: object.map((node): BodyPlan => ({ kind: "json", node })), weight: 24 },
    { arbitrary: junkValue.map((node): BodyPlan => ({ kind: "json", node })), weight: 2 },
    {
      arbitrary: fc
        .tuple(object, fc.double({ min: 0, max: 1, noNaN: true }))
        .map(([node, at]): BodyPlan => ({ kind: "truncated", node, at })),
      weight: 2,
    },
    { arbitrary: textBody.map((text): BodyPlan => ({ kind: "text", text })), weight: 2 },
    {
      arbitrary: fc.tuple(object, fc.constantFrom(64 * 1024, 65 * 1024, 300 * 1024)).map(
        ([node, size]): BodyPlan => ({
          kind: "json",
          node: new Obj([...node.entries, ["padding", "x".repeat(size)]]),
        }),
      ),
      weight: 1,
    },
    { arbitrary: bytesBody.map((bytes): BodyPlan => ({ kind: "bytes", bytes })), weight: 1 },
    { arbitrary: fc.constant<BodyPlan>({ kind: "none" }), weight: 1 },
  );
}

/** Bodies for routes that take none: mostly none, sometimes one anyway. */
const strayBodyArb: fc.Arbitrary<BodyPlan> = fc.oneof(
  { arbitrary: fc.constant<BodyPlan>({ kind: "none" }), weight: 8 },
  { arbitrary: junkValue.map((node): BodyPlan => ({ kind: "json", node })), weight: 1 },
  { arbitrary: textBody.map((text): BodyPlan => ({ kind: "text", text })), weight: 1 },
);

const sig = {
  png: "89504e470d0a1a0a",
  jpeg: "ffd8ffe0",
  webp: "52494646000000005745425056503820",
  gif: "474946383961",
};
const MiB = 1024 * 1024;
function imageBodyArb(types: string[]): fc.Arbitrary<BodyPlan> {
  const magic = fc
    .constantFrom(...Object.values(sig), "", "3c7376672f3e", "89504e47", "ffd8")
    .map((hex) => Buffer.from(hex, "hex"));
  const rest = fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 256 }), weight: 8 },
    { arbitrary: fc.constantFrom(MiB - 16, MiB, MiB + 1, 2 * MiB).map((n) => new Uint8Array(n)), weight: 1 },
  );
  return fc
    .tuple(
      magic,
      rest,
      fc.constantFrom(...types, "text/plain", "image/gif", "image/svg+xml", "application/octet-stream"),
    )
    .map(
      ([head, tail, type]): BodyPlan => ({
        kind: "image",
        bytes: new Uint8Array(Buffer.concat([head, tail]).subarray(0, Math.max(head.length, tail.length))),
        type,
      }),
    );
}

function formBodyArb(op: Operation): fc.Arbitrary<BodyPlan> {
  const schema = op.spec.requestBody!.content["application/x-www-form-urlencoded"]!.schema;
  const names = Object.keys(schema.properties ?? {});
  if (names.length === 0) throw new NoGenerator(`${operationKey(op)}: form body without fields`);
  const value = fc.oneof(
    fc.constantFrom(`SM${"0".repeat(32)}`, "delivered", "undelivered", "failed", "sent", "30007", ""),
    anyString,
  );
  const field = fc.tuple(
    fc.oneof(
      { arbitrary: fc.constantFrom(...names, "SmsSid", "SmsStatus", "AccountSid"), weight: 4 },
      { arbitrary: fc.string({ maxLength: 8 }), weight: 1 },
    ),
    value,
  );
  // Mostly a report as Twilio sends it (so signed ones reach the database), with stray fields now and then.
  const report = fc
    .tuple(value, value, fc.option(value, { nil: undefined }))
    .map(
      ([sid, status, code]): Array<[string, string]> => [
        ["MessageSid", sid],
        ["MessageStatus", status],
        ...(code === undefined ? [] : [["ErrorCode", code] as [string, string]]),
      ],
    );
  return fc
    .record({
      fields: fc.oneof(
        report,
        fc.tuple(report, fc.array(field, { maxLength: 3 })).map(([a, b]) => [...a, ...b]),
        fc.array(field, { maxLength: 6 }),
      ),
      signature: fc.constantFrom<"valid" | "wrong" | "none" | "garbage">("valid", "valid", "wrong", "none", "garbage"),
      raw: fc.option(
        fc.oneof(textBody, fc.constantFrom("%", "a=%zz&b=%", "&&&==&", "MessageSid=%00&MessageStatus=%E0%A4%A")),
        { freq: 4, nil: undefined },
      ),
    })
    .map((form): BodyPlan => ({ kind: "form", ...form }));
}

function bodyArb(op: Operation, doc: OpenApiDocument): fc.Arbitrary<BodyPlan> {
  const content = op.spec.requestBody?.content;
  if (!content) return strayBodyArb;
  const types = Object.keys(content);
  if (types.includes("application/json")) return jsonBodyArb(op, doc);
  if (types.includes("application/x-www-form-urlencoded")) return formBodyArb(op);
  if (types.every((t) => t.startsWith("image/"))) return imageBodyArb(types);
  throw new NoGenerator(`${operationKey(op)}: request bodies of type ${types.join(", ")} have no generator`);
}

// ---------------------------------------------------------------------------------------------- plans

const otherMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "LINK", "FOO"];
const queryArb = fc.oneof(
  { arbitrary: fc.constant(""), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      "?v=1",
      "?v=-1",
      "?__proto__=1",
      "?token=x&token=y",
      "?%zz",
      `?${"q=".repeat(2000)}`,
      "?a=%00",
    ),
    weight: 1,
  },
  { arbitrary: anyString.map((s) => `?x=${encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ""))}`), weight: 1 },
);

/** A request generator for one operation of the document; NoGenerator when something in it cannot be fuzzed. */
export function planArb(
  op: Operation,
  doc: OpenApiDocument,
  options: { authenticated: boolean },
): fc.Arbitrary<RequestPlan> {
  const write = WRITE.has(op.method);
  const params = Object.fromEntries(
    (op.spec.parameters ?? []).map((p) => {
      if (p.in !== "path") throw new NoGenerator(`${operationKey(op)}: ${p.in} parameter ${p.name} has no generator`);
      return [p.name, paramValue(p.name, p.schema, doc, op)];
    }),
  );
  const segments = op.path.split(/(\{[^}]+\})/).filter(Boolean);
  const missing = segments.filter((s) => s.startsWith("{") && !params[s.slice(1, -1)]);
  if (missing.length > 0)
    throw new NoGenerator(`${operationKey(op)}: path parameters ${missing.join(", ")} are not documented`);
  const path = fc.tuple(
    ...segments.map((s) => (s.startsWith("{") ? params[s.slice(1, -1)]! : fc.constant(s))),
  ) as fc.Arbitrary<RequestPlan["path"]>;
  return fc.record({
    method: fc.oneof(
      { arbitrary: fc.constant(op.method), weight: 20 },
      { arbitrary: fc.constantFrom(...otherMethods), weight: 1 },
    ),
    path,
    pathTweak: fc.oneof(
      { arbitrary: fc.constant<RequestPlan["pathTweak"]>("none"), weight: 30 },
      {
        arbitrary: fc.constantFrom<RequestPlan["pathTweak"]>(
          "trailing-slash",
          "double-slash",
          "upper",
          "dot-segment",
          "encoded-slash",
        ),
        weight: 1,
      },
    ),
    query: queryArb,
    subject: fc.constantFrom<SubjectKind>("plain", "plain", "phone", "twoFactor", "verifyingPhone", "unverified"),
    cooled: fc.constantFrom(false, false, false, true),
    credentials: credentialsArb(options.authenticated),
    challengeCookie: fc.oneof(
      {
        arbitrary: fc.constant<ChallengeCookie>("none"),
        weight: op.path.includes("/two-factor/") && !op.path.startsWith("/api/account") ? 2 : 8,
      },
      {
        arbitrary: fc.constantFrom<ChallengeCookie>("valid", "valid", "wrong-binding", "unbound", "garbage"),
        weight: 3,
      },
    ),
    junk: junkArb,
    origin: originArb(write),
    referer: refererArb,
    forwardedFor: forwardedForArb,
    peer: fc.oneof(
      { arbitrary: freshIp, weight: 10 },
      { arbitrary: fc.constantFrom("::1", "::ffff:10.0.0.1", "2001:db8::1"), weight: 1 },
    ),
    userAgent: userAgentArb,
    extraHeaders: extraHeadersArb,
    body: bodyArb(op, doc),
    contentType: fc.oneof(
      { arbitrary: fc.constant("auto"), weight: 14 },
      { arbitrary: fc.constant("none"), weight: 1 },
      { arbitrary: fc.constantFrom(...contentTypes), weight: 2 },
    ),
    contentLength: fc.oneof(
      { arbitrary: fc.constantFrom("none", "exact"), weight: 10 },
      {
        arbitrary: fc.constantFrom("0", "1", "-1", "abc", "1e3", " 5", "99999999999999999999", "65537", "0x10", "5, 5"),
        weight: 1,
      },
    ),
    streamed: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
  });
}
