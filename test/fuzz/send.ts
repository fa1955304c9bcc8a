import { computeTwilioSignature } from "../../src/delivery/sms/twilio-signature";
import { challengeCookieName, sessionCookieName } from "../../src/http/cookies";
import type { TwofoldServer } from "../../src/server";
import type { RequestPlan } from "./plans";
import { headerSafe, type Node, Obj, Raw, Ref, toJsonText } from "./values";
import { Subject, type World } from "./world";

export interface SentRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body: Uint8Array | undefined;
}

export interface Answer {
  request: SentRequest;
  status: number;
  headers: Headers;
  text: string;
}

function percentEncode(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
    )
    .join("");
}

/** In order: a `code` is the code of the challenge or verification named before it. */
async function resolveNode(node: Node, subject: Subject): Promise<Node> {
  if (node instanceof Ref) return subject.resolve(node);
  if (node instanceof Obj) {
    const entries: Array<[string, Node]> = [];
    for (const [k, v] of node.entries) entries.push([k, await resolveNode(v, subject)]);
    return new Obj(entries);
  }
  if (Array.isArray(node)) {
    const items: Node[] = [];
    for (const v of node) items.push(await resolveNode(v, subject));
    return items;
  }
  return node;
}

const asText = (node: Node) => (typeof node === "string" ? node : node instanceof Raw ? node.text : toJsonText(node));

async function buildUrl(base: string, plan: RequestPlan, subject: Subject): Promise<string> {
  let path = "";
  for (const part of plan.path) {
    if (typeof part === "string") path += part;
    else {
      const value = asText(await resolveNode(part.value, subject));
      path += part.encoding === "encoded" ? percentEncode(value) : value.replace(/[?#]/g, (c) => percentEncode(c));
    }
  }
  switch (plan.pathTweak) {
    case "trailing-slash":
      path += "/";
      break;
    case "double-slash":
      path = path.replace("/api/", "/api//");
      break;
    case "upper":
      path = path.replace("/api/", "/API/");
      break;
    case "dot-segment":
      path = path.replace("/api/", "/api/./x/../");
      break;
    case "encoded-slash":
      path = path.replace(/\/([^/]*)$/, "%2F$1");
      break;
  }
  return `${base}${path}${plan.query}`;
}

async function buildBody(
  plan: RequestPlan,
  subject: Subject,
  server: TwofoldServer,
  url: string,
): Promise<{ bytes: Uint8Array | undefined; type: string | undefined; extra: Array<[string, string]> }> {
  const body = plan.body;
  const utf8 = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));
  switch (body.kind) {
    case "none":
      return { bytes: undefined, type: undefined, extra: [] };
    case "json":
      return { bytes: utf8(toJsonText(await resolveNode(body.node, subject))), type: "application/json", extra: [] };
    case "truncated": {
      const text = toJsonText(await resolveNode(body.node, subject));
      return { bytes: utf8(text.slice(0, Math.floor(text.length * body.at))), type: "application/json", extra: [] };
    }
    case "text":
      return { bytes: utf8(body.text), type: "application/json", extra: [] };
    case "bytes":
      return { bytes: body.bytes, type: "application/json", extra: [] };
    case "image":
      return { bytes: body.bytes, type: body.type, extra: [] };
    case "form": {
      const form = new URLSearchParams(body.fields);
      const text = body.raw ?? form.toString();
      const token = server.config.sms.twilio?.authToken ?? "";
      const signedUrl = `${server.config.appUrl}${new URL(url).pathname}${new URL(url).search}`;
      const signature = {
        valid: computeTwilioSignature(token, signedUrl, new URLSearchParams(text)),
        wrong: computeTwilioSignature("not-the-token", signedUrl, form),
        none: undefined,
        garbage: plan.junk.bearer,
      }[body.signature];
      return {
        bytes: utf8(text),
        type: "application/x-www-form-urlencoded",
        extra: signature === undefined ? [] : [["x-twilio-signature", headerSafe(signature)]],
      };
    }
  }
}

/** Materializes the plan against a fresh subject and sends it in-process; never throws for what the server does. */
export async function send(server: TwofoldServer, world: World, plan: RequestPlan): Promise<Answer> {
  const subject = new Subject(world, plan.subject, plan.cooled);
  const config = server.config;
  const sessionName = sessionCookieName(config);
  const otherSessionName = sessionName.startsWith("__Host-") ? "twofold_session" : "__Host-twofold_session";
  const cookies: string[] = [];
  let authorization: string | undefined;
  const hasSession = subject.hasSession();
  const token = () => subject.session().then((s) => s.token);
  switch (hasSession ? plan.credentials : "none") {
    case "cookie":
      cookies.push(`${sessionName}=${await token()}`);
      break;
    case "bearer":
      authorization = `Bearer ${await token()}`;
      break;
    case "cookie+bearer":
      cookies.push(`${sessionName}=${await token()}`);
      authorization = `Bearer ${(await subject.session("second")).token}`;
      break;
    case "host-cookie":
      cookies.push(`${otherSessionName}=${await token()}`);
      break;
    case "cookie-twice":
      cookies.push(`${sessionName}=${plan.junk.cookieValue}`, `${sessionName}=${await token()}`);
      break;
    case "garbage-cookie":
      cookies.push(`${sessionName}=${plan.junk.cookieValue}`);
      break;
    case "garbage-bearer":
      authorization = plan.junk.bearer;
      break;
    case "revoked-cookie":
      cookies.push(`${sessionName}=${await subject.revokedSessionToken()}`);
      break;
    case "revoked-bearer":
      authorization = `Bearer ${await subject.revokedSessionToken()}`;
      break;
    case "wrong-secret":
      cookies.push(`${sessionName}=${(await subject.session()).id}.${"x".repeat(43)}`);
      break;
    case "none":
      break;
  }
  const challengeName = challengeCookieName(config);
  const binding =
    "b".repeat(20) +
    Math.random()
      .toString(36)
      .slice(2)
      .replace(/[^a-z0-9]/g, "");
  switch (plan.challengeCookie) {
    case "valid":
      cookies.push(`${challengeName}=${(await subject.signInChallenge(binding)).id}.${binding}`);
      break;
    case "wrong-binding":
      cookies.push(`${challengeName}=${(await subject.signInChallenge(binding)).id}.${"w".repeat(24)}`);
      break;
    case "unbound":
      cookies.push(`${challengeName}=${(await subject.signInChallenge()).id}.${binding}`);
      break;
    case "garbage":
      cookies.push(`${challengeName}=${plan.junk.challengeValue}`);
      break;
    case "none":
      break;
  }
  cookies.push(...plan.junk.cookies);

  const url = await buildUrl(config.appUrl, plan, subject);
  const body = await buildBody(plan, subject, server, url);
  const headers: Array<[string, string]> = [];
  if (plan.userAgent !== null) headers.push(["user-agent", plan.userAgent]);
  if (plan.origin === "app") headers.push(["origin", config.appUrl]);
  else if (plan.origin !== "none") headers.push(["origin", plan.origin]);
  if (plan.referer !== null) headers.push(["referer", plan.referer]);
  if (plan.forwardedFor !== null) headers.push(["x-forwarded-for", plan.forwardedFor]);
  if (cookies.length > 0) headers.push(["cookie", headerSafe(cookies.join("; "))]);
  if (authorization !== undefined) headers.push(["authorization", headerSafe(authorization)]);
  headers.push(...body.extra, ...plan.extraHeaders);

  const canHaveBody = !["GET", "HEAD"].includes(plan.method.toUpperCase());
  const bytes = canHaveBody ? body.bytes : undefined;
  const type = plan.contentType === "auto" ? body.type : plan.contentType === "none" ? undefined : plan.contentType;
  if (bytes !== undefined && type !== undefined) headers.push(["content-type", type]);
  if (plan.contentLength === "exact" && bytes !== undefined) headers.push(["content-length", String(bytes.byteLength)]);
  else if (plan.contentLength !== "none" && plan.contentLength !== "exact")
    headers.push(["content-length", plan.contentLength]);

  const request: SentRequest = { method: plan.method, url, headers, body: bytes };
  const requestBody = bytes === undefined ? undefined : plan.streamed ? streamOf(bytes) : bytes;
  const init = { method: plan.method, headers, body: requestBody, duplex: "half" } as RequestInit;
  const response = await withTimeout(
    Promise.resolve(server.app.request(url, init, { remoteAddress: plan.peer })),
    20_000,
    () => describe(request),
  );
  return { request, status: response.status, headers: response.headers, text: await response.text() };
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.subarray(i, i + 8192));
      controller.close();
    },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what()}`)), ms)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const clip = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);

/** The concrete request, readable (long values clipped), for failure messages. */
export function describe(request: SentRequest): string {
  const body =
    request.body === undefined ? "(no body)" : JSON.stringify(clip(Buffer.from(request.body).toString("utf8")));
  return [
    `${request.method} ${clip(request.url, 200)}`,
    ...request.headers.map(([k, v]) => `  ${k}: ${clip(v, 200)}`),
    `  body: ${body}`,
  ].join("\n");
}
