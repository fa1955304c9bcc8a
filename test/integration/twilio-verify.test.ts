import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SmsDeliveryError } from "../../src/delivery/sms/twilio-errors";
import { createTwilioVerifyClient, type TwilioVerifyOptions } from "../../src/delivery/sms/twilio-verify";
import { type FakeTwilio, startFakeTwilio } from "../fakes/twilio";

// The twilio-verify client, only ever against the fake Twilio.

const to = "+447700900123";

async function verifyError(call: Promise<unknown>): Promise<SmsDeliveryError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmsDeliveryError);
  return error as SmsDeliveryError;
}

describe("Twilio Verify client", () => {
  let twilio: FakeTwilio;
  const client = (options: Partial<TwilioVerifyOptions> = {}) =>
    createTwilioVerifyClient({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      serviceSid: twilio.verifyServiceSid,
      apiBase: twilio.url,
      ...options,
    });

  beforeEach(async () => {
    twilio = await startFakeTwilio();
  });
  afterEach(() => twilio.close());

  it("starts an SMS verification: POST Verifications with To and Channel=sms, Basic auth", async () => {
    const { sid } = await client().startVerification(to);
    expect(sid).toMatch(/^VE[0-9a-f]{32}$/);
    expect(twilio.requests[0]).toMatchObject({
      method: "POST",
      path: `/v2/Services/${twilio.verifyServiceSid}/Verifications`,
      authOk: true,
      form: { To: to, Channel: "sms" },
    });
    expect(twilio.requests[0]!.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(twilio.verifyCode(to)).toMatch(/^\d{6}$/);
  });

  it("approves the code Twilio sent: POST VerificationCheck with To and Code", async () => {
    const verify = client();
    await verify.startVerification(to);
    const code = twilio.verifyCode(to)!;
    expect(await verify.checkVerification(to, code)).toEqual({ approved: true });
    expect(twilio.requests[1]).toMatchObject({
      path: `/v2/Services/${twilio.verifyServiceSid}/VerificationCheck`,
      authOk: true,
      form: { To: to, Code: code },
    });
  });

  it("does not approve a wrong code, and the right one still works afterwards", async () => {
    const verify = client();
    await verify.startVerification(to);
    const code = twilio.verifyCode(to)!;
    const wrong = code === "000000" ? "111111" : "000000";
    expect(await verify.checkVerification(to, wrong)).toEqual({ approved: false });
    expect(await verify.checkVerification(to, code)).toEqual({ approved: true });
  });

  it("answers not approved for a code checked again after approval, an expired verification, or none (404, 20404)", async () => {
    const verify = client();
    await verify.startVerification(to);
    const code = twilio.verifyCode(to)!;
    expect(await verify.checkVerification(to, code)).toEqual({ approved: true });
    expect(await verify.checkVerification(to, code)).toEqual({ approved: false });

    await verify.startVerification(to);
    const second = twilio.verifyCode(to)!;
    twilio.expireVerifications();
    expect(await verify.checkVerification(to, second)).toEqual({ approved: false });

    expect(await verify.checkVerification("+447700900999", "123456")).toEqual({ approved: false });
    expect(twilio.requests.filter((r) => r.path.endsWith("/VerificationCheck")).map((r) => r.status)).toEqual([
      200, 404, 404, 404,
    ]);
  });

  it("stops approving after Twilio's 5 checks (429, 60202), even with the right code", async () => {
    const verify = client();
    await verify.startVerification(to);
    const code = twilio.verifyCode(to)!;
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) expect(await verify.checkVerification(to, wrong)).toEqual({ approved: false });
    expect(await verify.checkVerification(to, code)).toEqual({ approved: false });
  });

  it("resends the same code under the same sid while a verification is pending, as Twilio does", async () => {
    const verify = client();
    const first = await verify.startVerification(to);
    const code = twilio.verifyCode(to);
    const again = await verify.startVerification(to);
    expect(again.sid).toBe(first.sid);
    expect(twilio.verifyCode(to)).toBe(code);
  });

  it("classifies errors as the Messages API does", async () => {
    const verify = client();
    const invalid = await verifyError(verify.startVerification("07700 900123"));
    expect(invalid).toMatchObject({ reason: "invalid_phone", code: 60200, httpStatus: 400, permanent: true });
    expect(invalid.message).not.toContain("900123");

    twilio.failNext(60605);
    expect(await verifyError(verify.startVerification(to))).toMatchObject({
      reason: "unsupported_destination",
      permanent: true,
    });

    for (let i = 0; i < 5; i++) await verify.startVerification(to);
    expect(await verifyError(verify.startVerification(to))).toMatchObject({
      reason: "transient",
      code: 60203,
      httpStatus: 429,
    });

    twilio.failNext(20429);
    expect(await verifyError(verify.checkVerification(to, "123456"))).toMatchObject({
      reason: "transient",
      permanent: false,
    });
    twilio.replyNext({ status: 503, body: "" });
    expect(await verifyError(verify.checkVerification(to, "123456"))).toMatchObject({
      reason: "transient",
      permanent: false,
    });

    const unauthorized = await verifyError(client({ authToken: "wrong" }).startVerification(to));
    expect(unauthorized).toMatchObject({ reason: "configuration", code: 20003, permanent: true });
    const unknownService = await verifyError(client({ serviceSid: `VA${"0".repeat(32)}` }).startVerification(to));
    expect(unknownService).toMatchObject({ reason: "configuration", code: 20404, permanent: true });
  });

  it("gives up on a Twilio that never answers after timeoutMs, as transient", async () => {
    twilio.hangNext(2);
    const verify = client({ timeoutMs: 300 });
    const started = Date.now();
    expect(await verifyError(verify.startVerification(to))).toMatchObject({ reason: "transient", permanent: false });
    expect(await verifyError(verify.checkVerification(to, "123456"))).toMatchObject({
      reason: "transient",
      permanent: false,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("refuses a bad configuration at start-up", () => {
    const base = { accountSid: `AC${"0".repeat(32)}`, authToken: "token", serviceSid: `VA${"0".repeat(32)}` };
    expect(() => createTwilioVerifyClient({ ...base, accountSid: "nope" })).toThrow(/TWILIO_ACCOUNT_SID/);
    expect(() => createTwilioVerifyClient({ ...base, authToken: "" })).toThrow(/TWILIO_AUTH_TOKEN/);
    expect(() => createTwilioVerifyClient({ ...base, serviceSid: "MG123" })).toThrow(/TWILIO_VERIFY_SERVICE_SID/);
  });
});
