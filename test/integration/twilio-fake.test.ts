import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeTwilio, startFakeTwilio } from "../fakes/twilio";

// The fake Twilio is the only evidence that the adapters speak Twilio's wire format, so it is tested too:
// raw HTTP in, Twilio's status codes and bodies out.

describe("fake Twilio", () => {
  let twilio: FakeTwilio;
  beforeEach(async () => {
    twilio = await startFakeTwilio();
  });
  afterEach(() => twilio.close());

  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  async function post(
    path: string,
    form: Record<string, string>,
    init: { authorization?: string | null; contentType?: string } = {},
  ) {
    const contentType = init.contentType ?? "application/x-www-form-urlencoded";
    const headers: Record<string, string> = { "content-type": contentType };
    const authorization =
      init.authorization === undefined ? basic(twilio.accountSid, twilio.authToken) : init.authorization;
    if (authorization) headers.authorization = authorization;
    const body = contentType.startsWith("application/json")
      ? JSON.stringify(form)
      : new URLSearchParams(form).toString();
    const response = await fetch(`${twilio.url}${path}`, { method: "POST", headers, body });
    return {
      status: response.status,
      headers: response.headers,
      json: (await response.json()) as Record<string, unknown>,
    };
  }
  const messages = () => `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`;
  const valid = { To: "+15005550006", From: "+15005550001", Body: "Hello" };

  it("answers 201 with the Message resource", async () => {
    const { status, json } = await post(messages(), valid);
    expect(status).toBe(201);
    expect(json).toMatchObject({
      account_sid: twilio.accountSid,
      api_version: "2010-04-01",
      to: valid.To,
      from: valid.From,
      body: "Hello",
      status: "queued",
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      num_segments: "1",
      messaging_service_sid: null,
    });
    expect(json.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(json.date_created).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(json.uri).toBe(`/2010-04-01/Accounts/${twilio.accountSid}/Messages/${String(json.sid)}.json`);
  });

  it("starts a Messaging Service message as accepted, and takes From together with MessagingServiceSid as Twilio does", async () => {
    const service = `MG${"b".repeat(32)}`;
    expect((await post(messages(), { To: valid.To, MessagingServiceSid: service, Body: "Hi" })).json).toMatchObject({
      status: "accepted",
      from: null,
      messaging_service_sid: service,
    });
    expect((await post(messages(), { ...valid, MessagingServiceSid: service })).status).toBe(201);
  });

  it("refuses wrong, missing or foreign credentials with 401, code 20003", async () => {
    for (const authorization of [
      basic(twilio.accountSid, "wrong"),
      null,
      basic(`AC${"0".repeat(32)}`, twilio.authToken),
    ]) {
      const { status, headers, json } = await post(messages(), valid, { authorization });
      expect(status).toBe(401);
      expect(headers.get("www-authenticate")).toMatch(/^Basic/);
      expect(json).toMatchObject({
        code: 20003,
        message: "Authenticate",
        more_info: "https://www.twilio.com/docs/errors/20003",
        status: 401,
      });
    }
    expect(twilio.requests.map((r) => r.authOk)).toEqual([false, false, false]);
    expect(twilio.messages).toHaveLength(0);
  });

  it("checks the fields as Twilio does", async () => {
    const cases: [Record<string, string>, number][] = [
      [{ From: valid.From, Body: "x" }, 21604],
      [{ ...valid, To: "5005550006" }, 21211],
      [{ ...valid, To: "+1 500 555 0006" }, 21211],
      [{ To: valid.To, Body: "x" }, 21603],
      [{ To: valid.To, From: valid.From }, 21602],
      [{ ...valid, Body: "x".repeat(1601) }, 21617],
    ];
    for (const [form, code] of cases) {
      const { status, json } = await post(messages(), form);
      expect({ status, code: json.code }, JSON.stringify(form)).toEqual({ status: 400, code });
      expect(json).toEqual({
        code,
        message: expect.any(String),
        more_info: `https://www.twilio.com/docs/errors/${code}`,
        status: 400,
      });
    }
    expect((await post(messages(), { ...valid, Body: "x".repeat(1600) })).status).toBe(201);
  });

  it("reads only form bodies: JSON fields are not seen", async () => {
    const { status, json } = await post(messages(), valid, { contentType: "application/json" });
    expect({ status, code: json.code }).toEqual({ status: 400, code: 21604 });
  });

  it("answers 404, code 20404, for another account's or an unknown path", async () => {
    expect((await post(`/2010-04-01/Accounts/${twilio.accountSid}/Message.json`, valid)).json).toMatchObject({
      code: 20404,
      status: 404,
    });
    expect(
      (await post(`/v2/Services/VA${"0".repeat(32)}/Verifications`, { To: valid.To, Channel: "sms" })).json,
    ).toMatchObject({ code: 20404, status: 404 });
  });

  it("answers Verify with Twilio's JSON", async () => {
    const base = `/v2/Services/${twilio.verifyServiceSid}`;
    const started = await post(`${base}/Verifications`, { To: valid.To, Channel: "sms" });
    expect(started.status).toBe(201);
    expect(started.json).toMatchObject({
      service_sid: twilio.verifyServiceSid,
      account_sid: twilio.accountSid,
      to: valid.To,
      channel: "sms",
      status: "pending",
      valid: false,
    });
    expect(started.json.sid).toMatch(/^VE[0-9a-f]{32}$/);
    expect(started.json.date_created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect((await post(`${base}/Verifications`, { To: valid.To, Channel: "carrier-pigeon" })).json).toMatchObject({
      code: 60200,
      status: 400,
    });
    expect((await post(`${base}/VerificationCheck`, { To: valid.To, Code: "12" })).json).toMatchObject({
      code: 60200,
      status: 400,
    });

    const wrong = await post(`${base}/VerificationCheck`, {
      VerificationSid: String(started.json.sid),
      Code: twilio.verifyCode(valid.To) === "999999" ? "000000" : "999999",
    });
    expect(wrong).toMatchObject({ status: 200, json: { status: "pending", valid: false } });
    const right = await post(`${base}/VerificationCheck`, { To: valid.To, Code: twilio.verifyCode(valid.To)! });
    expect(right).toMatchObject({ status: 200, json: { sid: started.json.sid, status: "approved", valid: true } });
    const gone = await post(`${base}/VerificationCheck`, { To: valid.To, Code: "123456" });
    expect(gone).toMatchObject({
      status: 404,
      json: {
        code: 20404,
        status: 404,
        message: `The requested resource /Services/${twilio.verifyServiceSid}/VerificationCheck was not found`,
      },
    });
  });

  it("answers scripted errors with their real HTTP status, one request each", async () => {
    twilio.failNext(21610);
    twilio.failNext(20429);
    twilio.replyNext({ status: 503, body: "upstream unavailable" });
    expect(await post(messages(), valid)).toMatchObject({ status: 400, json: { code: 21610, status: 400 } });
    expect(await post(messages(), valid)).toMatchObject({ status: 429, json: { code: 20429, status: 429 } });
    const raw = await fetch(`${twilio.url}${messages()}`, { method: "POST", body: "" });
    expect({ status: raw.status, text: await raw.text() }).toEqual({ status: 503, text: "upstream unavailable" });
    expect((await post(messages(), valid)).status).toBe(201);
    expect(twilio.requests).toHaveLength(4);
  });

  it("can hang a request, and close() still ends it", async () => {
    twilio.hangNext();
    const pending = fetch(`${twilio.url}${messages()}`, { method: "POST", body: "" }).then(
      () => "answered",
      () => "dropped",
    );
    const outcome = await Promise.race([
      pending,
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 300)),
    ]);
    expect(outcome).toBe("still waiting");
    await twilio.close();
    expect(await pending).toBe("dropped");
    twilio = await startFakeTwilio(); // for afterEach
  });
});
