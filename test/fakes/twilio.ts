import { createHmac, randomBytes, randomInt, randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A fake Twilio on an ephemeral 127.0.0.1 port that checks what the real one does: the paths of the Messages
 * API (2010-04-01) and of Verify v2, HTTP Basic auth, form-encoded fields, E.164 numbers; and answers with
 * Twilio's status codes and JSON bodies. One base URL serves as TWILIO_API_BASE and TWILIO_VERIFY_API_BASE.
 * It signs the status callbacks it sends with its own HMAC code, independent of src/delivery/sms.
 */

export interface RecordedTwilioRequest {
  method: string;
  path: string;
  /** Basic auth carried the fake's AccountSid:AuthToken. */
  authOk: boolean;
  /** The AccountSid the client claimed (Basic auth user name). */
  username: string | undefined;
  contentType: string | undefined;
  /** Form fields (first value of each name); empty unless the body was application/x-www-form-urlencoded. */
  form: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The HTTP status the fake answered with; undefined while (or because) it hangs. */
  status: number | undefined;
}

export interface FakeTwilioMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
}

export interface FakeVerification {
  sid: string;
  to: string;
  code: string;
  status: "pending" | "approved" | "expired";
  sendAttempts: number;
  checkAttempts: number;
}

/**
 * A Twilio error code (answered with its real HTTP status), any raw HTTP answer, no answer at all, or the normal
 * answer after a delay (a slow Twilio that still accepts the message, even if the client gave up meanwhile).
 */
export type ScriptedReply =
  | { error: number; status?: number }
  | { status: number; body?: string; contentType?: string }
  | "hang"
  | { delayMs: number };

export type MessageStatus = "queued" | "sent" | "delivered" | "undelivered" | "failed";

export interface FakeTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  verifyServiceSid: string;
  requests: RecordedTwilioRequest[];
  messages: FakeTwilioMessage[];
  verifications: FakeVerification[];
  /** The code the user would read on the phone: the pending verification's to `to`. */
  verifyCode(to: string): string | undefined;
  /** Answer the next `count` requests (any path, after recording them) with `reply`. */
  replyNext(reply: ScriptedReply, count?: number): void;
  failNext(code: number, count?: number): void;
  hangNext(count?: number): void;
  /** An outage: answer every request with `reply` (after any replyNext script) until replyAll(null). */
  replyAll(reply: ScriptedReply | null): void;
  /** As if 10 minutes had passed: every pending verification expires. */
  expireVerifications(): void;
  /**
   * POSTs a status callback, signed as Twilio signs it, for a message (default: the last one, to its StatusCallback).
   */
  sendStatusCallback(options: {
    status: MessageStatus;
    errorCode?: number;
    messageSid?: string;
    url?: string;
    signWith?: string;
  }): Promise<{ status: number; url: string; params: Record<string, string>; signature: string }>;
  close(): Promise<void>;
}

const e164 = /^\+[1-9]\d{1,14}$/;
/** Messages: RFC 2822 dates ("Thu, 24 Aug 2023 05:01:45 +0000"); Verify: ISO 8601 without milliseconds. */
const rfc2822 = (date: Date) => date.toUTCString().replace("GMT", "+0000");
const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");
const sid = (prefix: string) => prefix + randomBytes(16).toString("hex");

/** Status and message of the codes tests script or the fake answers itself (twilio.com/docs/api/errors). */
const errorCatalog: Record<number, { status: number; message: (to: string) => string }> = {
  20003: { status: 401, message: () => "Authenticate" },
  20404: { status: 404, message: () => "The requested resource was not found" },
  20429: { status: 429, message: () => "Too Many Requests" },
  20500: { status: 500, message: () => "Internal Server Error" },
  20503: { status: 503, message: () => "Service Unavailable" },
  21211: { status: 400, message: (to) => `The 'To' number ${to} is not a valid phone number.` },
  21408: {
    status: 400,
    message: (to) =>
      `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
  },
  21602: { status: 400, message: () => "Message body is required." },
  21603: { status: 400, message: () => "A 'From' or 'MessagingServiceSid' parameter is required to send a message." },
  21604: { status: 400, message: () => "A 'To' phone number is required." },
  21610: { status: 400, message: () => "Attempt to send to unsubscribed recipient" },
  21614: { status: 400, message: () => "'To' number is not a valid mobile number" },
  21617: { status: 400, message: () => "The concatenated message body exceeds the 1600 character limit." },
  21635: { status: 400, message: () => "'To' number cannot be a landline" },
  60200: { status: 400, message: () => "Invalid parameter" },
  60202: { status: 429, message: () => "Max check attempts reached" },
  60203: { status: 429, message: () => "Max send attempts reached" },
  60205: { status: 403, message: () => "SMS is not supported by landline phone number" },
  60605: { status: 403, message: () => "Verification delivery attempt blocked" },
};

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

function sendError(
  res: ServerResponse,
  code: number,
  options: { to?: string; status?: number; message?: string } = {},
) {
  const known = errorCatalog[code];
  const status = options.status ?? known?.status ?? 400;
  const body: Record<string, unknown> = {
    code,
    message: options.message ?? known?.message(options.to ?? "") ?? `Error ${code}`,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  };
  if (code === 20003) body.detail = "Your AccountSid or AuthToken was incorrect.";
  if (status === 401) res.setHeader("www-authenticate", 'Basic realm="Twilio API"');
  sendJson(res, status, body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The algorithm of twilio.com/docs/usage/webhooks/webhooks-security, written out again on purpose. */
function twilioSign(authToken: string, url: string, params: Record<string, string>): string {
  let data = url;
  for (const name of Object.keys(params).sort()) data += name + params[name];
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const accountSid = sid("AC");
  const authToken = randomBytes(16).toString("hex");
  const verifyServiceSid = sid("VA");
  const requests: RecordedTwilioRequest[] = [];
  const messages: FakeTwilioMessage[] = [];
  const verifications: FakeVerification[] = [];
  const script: ScriptedReply[] = [];
  let outage: ScriptedReply | null = null;
  const messagesPath = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
  const verifyPath = `/v2/Services/${verifyServiceSid}`;

  function createMessage(res: ServerResponse, form: Record<string, string>) {
    const { To: to, From: from, MessagingServiceSid: service, Body: body, StatusCallback: statusCallback } = form;
    if (!to) return sendError(res, 21604);
    if (!e164.test(to)) return sendError(res, 21211, { to });
    // Twilio takes From, MessagingServiceSid, or both (From must then be in the service's pool).
    if (!from && !service) return sendError(res, 21603);
    if (!body) return sendError(res, 21602);
    if ([...body].length > 1600) return sendError(res, 21617);
    const message: FakeTwilioMessage = {
      sid: sid("SM"),
      to,
      from: from ?? null,
      messagingServiceSid: service ?? null,
      body,
      statusCallback: statusCallback ?? null,
    };
    messages.push(message);
    const now = rfc2822(new Date());
    const gsm = /^[\x20-\x7e\n\r]*$/.test(body);
    const segments = body.length <= (gsm ? 160 : 70) ? 1 : Math.ceil(body.length / (gsm ? 153 : 67));
    sendJson(res, 201, {
      account_sid: accountSid,
      api_version: "2010-04-01",
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      from: message.from,
      messaging_service_sid: message.messagingServiceSid,
      // A Messaging Service picks the sender later: the message starts "accepted", with 0 segments.
      num_media: "0",
      num_segments: service ? "0" : String(segments),
      price: null,
      price_unit: "USD",
      sid: message.sid,
      status: service ? "accepted" : "queued",
      subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${message.sid}/Media.json` },
      to,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${message.sid}.json`,
    });
  }

  function verificationJson(v: FakeVerification) {
    const now = iso(new Date());
    return {
      sid: v.sid,
      service_sid: verifyServiceSid,
      account_sid: accountSid,
      to: v.to,
      channel: "sms",
      status: v.status,
      valid: v.status === "approved",
      amount: null,
      payee: null,
      date_created: now,
      date_updated: now,
    };
  }

  function startVerification(res: ServerResponse, form: Record<string, string>) {
    if (!form.To || !e164.test(form.To)) return sendError(res, 60200, { message: "Invalid parameter: To" });
    if (form.Channel !== "sms") return sendError(res, 60200, { message: "Invalid parameter: Channel" });
    // Within its 10 minutes, a new start for the same number resends the same code under the same sid; the 6th send
    // fails.
    let verification = verifications.find((v) => v.to === form.To && v.status === "pending");
    if (verification && verification.sendAttempts >= 5) return sendError(res, 60203);
    if (verification) verification.sendAttempts++;
    else {
      verification = {
        sid: sid("VE"),
        to: form.To,
        code: String(randomInt(0, 1_000_000)).padStart(6, "0"),
        status: "pending",
        sendAttempts: 1,
        checkAttempts: 0,
      };
      verifications.push(verification);
    }
    const sends = Array.from({ length: verification.sendAttempts }, () => ({
      attempt_sid: sid("VL"),
      channel: "sms",
      time: iso(new Date()),
    }));
    sendJson(res, 201, {
      ...verificationJson(verification),
      lookup: { carrier: null },
      send_code_attempts: sends,
      sna: null,
      url: `https://verify.twilio.com${verifyPath}/Verifications/${verification.sid}`,
    });
  }

  function checkVerification(res: ServerResponse, form: Record<string, string>, path: string) {
    if (!form.To && !form.VerificationSid) return sendError(res, 60200, { message: "Invalid parameter: To" });
    if (!form.Code || !/^\d{4,10}$/.test(form.Code))
      return sendError(res, 60200, { message: "Invalid parameter: Code" });
    const verification = verifications.find(
      (v) => v.status === "pending" && (form.VerificationSid ? v.sid === form.VerificationSid : v.to === form.To),
    );
    // Expired and approved verifications are deleted: checking them is a 404.
    if (!verification)
      return sendError(res, 20404, { message: `The requested resource ${path.slice(3)} was not found` });
    if (verification.checkAttempts >= 5) return sendError(res, 60202);
    verification.checkAttempts++;
    if (form.Code === verification.code) verification.status = "approved";
    sendJson(res, 200, { ...verificationJson(verification), sna_attempts_error_codes: [] });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0]!;
    const auth = /^Basic (.+)$/i.exec(req.headers.authorization ?? "");
    const [username, password] = auth ? Buffer.from(auth[1]!, "base64").toString("utf8").split(/:(.*)/s) : [];
    const contentType = req.headers["content-type"];
    const isForm = contentType?.split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded";
    const form: Record<string, string> = {};
    if (isForm) for (const [name, value] of new URLSearchParams(raw)) form[name] ??= value;
    const authOk = username === accountSid && password === authToken;
    const record: RecordedTwilioRequest = {
      method: req.method ?? "",
      path,
      authOk,
      username,
      contentType,
      form,
      headers: req.headers,
      status: undefined,
    };
    requests.push(record);
    res.on("finish", () => (record.status = res.statusCode));

    let scripted = script.shift() ?? outage ?? undefined;
    if (scripted === "hang") return; // the socket stays open until the client gives up or close()
    if (scripted && "delayMs" in scripted) {
      const { delayMs } = scripted;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      scripted = undefined;
    }
    if (scripted && "error" in scripted)
      return sendError(res, scripted.error, { to: form.To, status: scripted.status });
    if (scripted)
      return res
        .writeHead(scripted.status, { "content-type": scripted.contentType ?? "text/plain" })
        .end(scripted.body ?? "");

    if (!authOk) return sendError(res, 20003);
    const route =
      path === messagesPath
        ? "messages"
        : path === `${verifyPath}/Verifications`
          ? "start"
          : path === `${verifyPath}/VerificationCheck`
            ? "check"
            : null;
    if (!route) return sendError(res, 20404, { message: `The requested resource ${path} was not found` });
    if (req.method !== "POST") return sendError(res, 20004, { status: 405, message: "Method not allowed" });
    if (route === "messages") return createMessage(res, form);
    if (route === "start") return startVerification(res, form);
    return checkVerification(res, form, path);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    verifyServiceSid,
    requests,
    messages,
    verifications,
    verifyCode: (to) => verifications.find((v) => v.to === to && v.status === "pending")?.code,
    replyNext(reply, count = 1) {
      for (let i = 0; i < count; i++) script.push(reply);
    },
    failNext(code, count = 1) {
      for (let i = 0; i < count; i++) script.push({ error: code });
    },
    hangNext(count = 1) {
      for (let i = 0; i < count; i++) script.push("hang");
    },
    replyAll(reply) {
      outage = reply;
    },
    expireVerifications() {
      for (const v of verifications) if (v.status === "pending") v.status = "expired";
    },
    async sendStatusCallback({ status, errorCode, messageSid, url, signWith }) {
      const message = messageSid ? messages.find((m) => m.sid === messageSid) : messages.at(-1);
      if (!message) throw new Error("fake Twilio: no such message");
      const target = url ?? message.statusCallback;
      if (!target) throw new Error("fake Twilio: the message has no StatusCallback and no url was given");
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: "2010-04-01",
        MessageSid: message.sid,
        MessageStatus: status,
        SmsSid: message.sid,
        SmsStatus: status,
        To: message.to,
      };
      if (message.from) params.From = message.from;
      if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
      if (errorCode !== undefined) params.ErrorCode = String(errorCode);
      const signature = twilioSign(signWith ?? authToken, target, params);
      const response = await fetch(target, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-twilio-signature": signature,
          "i-twilio-idempotency-token": randomUUID(),
          "user-agent": "TwilioProxy/1.1",
        },
        body: new URLSearchParams(params).toString(),
      });
      await response.arrayBuffer();
      return { status: response.status, url: target, params, signature };
    },
    close() {
      server.closeAllConnections(); // including the requests left hanging on purpose
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
