import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPermanentFailure } from "../../src/delivery/channel";
import { createTwilioSmsChannel, SmsDeliveryError, type TwilioSmsOptions } from "../../src/delivery/sms/twilio";
import { type FakeTwilio, startFakeTwilio } from "../fakes/twilio";
import { closedPort, rejectionOf } from "../helpers/network";

// The twilio channel, only ever against the fake Twilio (real HTTP, real form encoding, real status codes).

const to = "+905551234567";
const body = "Twofold: your code is 481516. It expires in 5 minutes. Don't share it.\n\n@localhost #481516";
const from = "+15005550006";

const sendError = (send: Promise<unknown>) => rejectionOf(send, SmsDeliveryError);

describe("Twilio SMS channel", () => {
  let twilio: FakeTwilio;
  const channel = (options: Partial<TwilioSmsOptions> = {}) =>
    createTwilioSmsChannel({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      from,
      apiBase: twilio.url,
      ...options,
    });

  beforeEach(async () => {
    twilio = await startFakeTwilio();
  });
  afterEach(() => twilio.close());

  it("POSTs the message form with Basic auth and returns Twilio's SM sid", async () => {
    const result = await channel().send({ to, body });
    expect(twilio.requests).toHaveLength(1);
    const [request] = twilio.requests;
    expect(request).toMatchObject({
      method: "POST",
      path: `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`,
      authOk: true,
      username: twilio.accountSid,
    });
    expect(request!.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request!.form).toEqual({ To: to, From: from, Body: body });
    expect(request!.headers.accept).toBe("application/json");
    expect(result.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(twilio.messages).toEqual([
      { sid: result.providerMessageId, to, from, messagingServiceSid: null, body, statusCallback: null },
    ]);
  });

  it("sends through a Messaging Service instead of a From number", async () => {
    const messagingServiceSid = `MG${"a1".repeat(16)}`;
    const result = await channel({ from: undefined, messagingServiceSid }).send({ to, body });
    expect(twilio.requests[0]!.form).toEqual({ To: to, MessagingServiceSid: messagingServiceSid, Body: body });
    expect(result.providerMessageId).toBe(twilio.messages[0]!.sid);
  });

  it("asks for delivery reports at the status callback URL", async () => {
    const statusCallbackUrl = "https://auth.example.com/api/webhooks/twilio/status";
    await channel({ statusCallbackUrl, apiBase: `${twilio.url}/` }).send({ to, body });
    expect(twilio.requests[0]!.form).toEqual({ To: to, From: from, Body: body, StatusCallback: statusCallbackUrl });
  });

  it("carries non-ASCII text and reserved characters intact", async () => {
    const text = "Kodunuz: 123456 — paylaşmayın & don't share + ✓ 100%";
    await channel().send({ to, body: text });
    expect(twilio.messages[0]!.body).toBe(text);
  });

  it.each([
    [21211, "invalid_phone"],
    [21614, "invalid_phone"],
    [21635, "invalid_phone"],
    [21408, "unsupported_destination"],
    [21610, "opted_out"],
    [20003, "configuration"],
  ] as const)("maps Twilio error %s to a permanent %s", async (code, reason) => {
    twilio.failNext(code);
    const error = await sendError(channel().send({ to, body }));
    expect(error).toMatchObject({ reason, code, permanent: true });
    expect(isPermanentFailure(error)).toBe(true);
    expect(error.message).toContain(String(code));
    expect(error.message).toContain("•••4567");
    expect(error.message).not.toContain("5551234567");
    expect(error.message).not.toContain("481516");
  });

  it("is refused by the fake itself for a number that is not E.164 (21211) and for wrong credentials (20003)", async () => {
    const invalid = await sendError(channel().send({ to: "0555 123 45 67", body }));
    expect(invalid).toMatchObject({ reason: "invalid_phone", code: 21211, httpStatus: 400, permanent: true });
    expect(invalid.message).not.toContain("555 123 45 67");

    const unauthorized = await sendError(channel({ authToken: "0".repeat(32) }).send({ to, body }));
    expect(unauthorized).toMatchObject({ reason: "configuration", code: 20003, httpStatus: 401, permanent: true });
    expect(twilio.requests.at(-1)!.authOk).toBe(false);
    expect(unauthorized.message).not.toContain("0".repeat(32));
  });

  it.each([
    ["20429 Too Many Requests", { error: 20429 }, 20429, 429],
    ["a bare 429 from the edge", { status: 429, body: "Too Many Requests" }, undefined, 429],
    ["500 with Twilio's error body", { error: 20500 }, 20500, 500],
    ["a bare 500", { status: 500, body: "" }, undefined, 500],
    ["503 Service Unavailable", { error: 20503 }, 20503, 503],
    [
      "an HTML 502 from a proxy",
      { status: 502, body: "<html>Bad Gateway</html>", contentType: "text/html" },
      undefined,
      502,
    ],
  ] as const)("treats %s as transient", async (_label, reply, code, httpStatus) => {
    twilio.replyNext(reply);
    const error = await sendError(channel().send({ to, body }));
    expect(error).toMatchObject({ reason: "transient", permanent: false, code, httpStatus });
    expect(isPermanentFailure(error)).toBe(false);
  });

  it("gives up on a Twilio that never answers after timeoutMs, as transient", async () => {
    twilio.hangNext();
    const started = Date.now();
    const error = await sendError(channel({ timeoutMs: 300 }).send({ to, body }));
    const elapsedMs = Date.now() - started;
    expect(error).toMatchObject({ reason: "transient", permanent: false, httpStatus: undefined });
    expect(error.message).toMatch(/no answer within 300 ms/);
    expect(elapsedMs).toBeGreaterThanOrEqual(250);
    expect(elapsedMs).toBeLessThan(2_000);
    expect(twilio.requests).toHaveLength(1);
    expect(twilio.requests[0]!.status).toBeUndefined();
  });

  it("treats a refused connection as transient", async () => {
    const error = await sendError(channel({ apiBase: `http://127.0.0.1:${await closedPort()}` }).send({ to, body }));
    expect(error).toMatchObject({ reason: "transient", permanent: false });
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("recovers after scripted failures: each reply applies to one request", async () => {
    twilio.failNext(20429, 2);
    await sendError(channel().send({ to, body }));
    await sendError(channel().send({ to, body }));
    await expect(channel().send({ to, body })).resolves.toMatchObject({
      providerMessageId: expect.stringMatching(/^SM/),
    });
  });

  it("refuses a bad configuration at start-up", () => {
    const base = { accountSid: `AC${"0".repeat(32)}`, authToken: "token" };
    expect(() => createTwilioSmsChannel({ ...base, accountSid: "AC123", from })).toThrow(/TWILIO_ACCOUNT_SID/);
    expect(() => createTwilioSmsChannel({ ...base, authToken: "", from })).toThrow(/TWILIO_AUTH_TOKEN/);
    expect(() => createTwilioSmsChannel(base)).toThrow(/exactly one/);
    expect(() => createTwilioSmsChannel({ ...base, from, messagingServiceSid: `MG${"0".repeat(32)}` })).toThrow(
      /exactly one/,
    );
    expect(() => createTwilioSmsChannel({ ...base, messagingServiceSid: "MG1" })).toThrow(
      /TWILIO_MESSAGING_SERVICE_SID/,
    );
    expect(() => createTwilioSmsChannel({ ...base, from, statusCallbackUrl: "/api/webhooks/twilio/status" })).toThrow(
      /absolute/,
    );
  });
});
