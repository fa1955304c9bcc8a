import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTwilioSmsChannel } from "../../src/delivery/sms/twilio";
import { isValidTwilioSignature } from "../../src/delivery/sms/twilio-signature";
import { type FakeTwilio, startFakeTwilio } from "../fakes/twilio";

// A delivery report as Twilio sends it: the fake POSTs it, signed with its own HMAC code, to a plain HTTP
// receiver; our signature check must accept it exactly when it is genuine.

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  params: URLSearchParams;
}

describe("Twilio status callbacks", () => {
  let twilio: FakeTwilio;
  let receiver: Server;
  let received: Received[];
  let callbackUrl: string;

  beforeEach(async () => {
    twilio = await startFakeTwilio();
    received = [];
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        // The public URL the route will know from config (APP_URL + path), query string included.
        received.push({
          url: `http://${req.headers.host}${req.url}`,
          headers: req.headers,
          params: new URLSearchParams(Buffer.concat(chunks).toString("utf8")),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhooks/twilio/status?tenant=a%20b`;
  });
  afterEach(async () => {
    await twilio.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  async function sendThroughChannel() {
    const channel = createTwilioSmsChannel({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      from: "+15005550006",
      apiBase: twilio.url,
      statusCallbackUrl: callbackUrl,
    });
    return (await channel.send({ to: "+905551234567", body: "Twofold: 123456" })).providerMessageId!;
  }

  it("posts a signed 'delivered' report to the StatusCallback the channel passed, and it validates", async () => {
    const sid = await sendThroughChannel();
    const sent = await twilio.sendStatusCallback({ status: "delivered" });
    expect(sent.status).toBe(204);
    const [report] = received;
    expect(report!.url).toBe(callbackUrl);
    expect(report!.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(report!.params)).toEqual({
      AccountSid: twilio.accountSid,
      ApiVersion: "2010-04-01",
      From: "+15005550006",
      MessageSid: sid,
      MessageStatus: "delivered",
      SmsSid: sid,
      SmsStatus: "delivered",
      To: "+905551234567",
    });
    const header = report!.headers["x-twilio-signature"] as string;
    expect(header).toBe(sent.signature);
    expect(isValidTwilioSignature(twilio.authToken, report!.url, report!.params, header)).toBe(true);
  });

  it("reports 'undelivered' with Twilio's ErrorCode, and the signature covers it", async () => {
    await sendThroughChannel();
    await twilio.sendStatusCallback({ status: "undelivered", errorCode: 30003 });
    const [report] = received;
    expect(report!.params.get("MessageStatus")).toBe("undelivered");
    expect(report!.params.get("ErrorCode")).toBe("30003");
    const header = report!.headers["x-twilio-signature"] as string;
    expect(isValidTwilioSignature(twilio.authToken, report!.url, report!.params, header)).toBe(true);

    const tampered = new URLSearchParams(report!.params);
    tampered.set("MessageStatus", "delivered");
    tampered.delete("ErrorCode");
    expect(isValidTwilioSignature(twilio.authToken, report!.url, tampered, header)).toBe(false);
  });

  it("rejects a report checked against another URL or token, or signed with another token", async () => {
    await sendThroughChannel();
    await twilio.sendStatusCallback({ status: "delivered" });
    await twilio.sendStatusCallback({ status: "delivered", signWith: "not-the-auth-token" });
    const [genuine, forged] = received;
    const header = genuine!.headers["x-twilio-signature"] as string;
    expect(
      isValidTwilioSignature(
        twilio.authToken,
        genuine!.url.replace("tenant=a%20b", "tenant=c"),
        genuine!.params,
        header,
      ),
    ).toBe(false);
    expect(
      isValidTwilioSignature(twilio.authToken, genuine!.url.replace("/status", "/other"), genuine!.params, header),
    ).toBe(false);
    expect(isValidTwilioSignature("0".repeat(32), genuine!.url, genuine!.params, header)).toBe(false);
    expect(
      isValidTwilioSignature(
        twilio.authToken,
        forged!.url,
        forged!.params,
        forged!.headers["x-twilio-signature"] as string,
      ),
    ).toBe(false);
  });
});
