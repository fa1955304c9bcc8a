import { beforeAll, expect, it } from "vitest";
import { fakeTwilioCode, fakeTwilioPerServer, forEachServer, signedUpUser, uniquePhone } from "../helpers/harness";

/**
 * Numbers are screened before any provider is paid to text them: malformed, fixed-line and premium-rate
 * numbers are invalid_phone, countries outside SMS_ALLOWED_COUNTRIES unsupported_country, and the fake
 * Twilio behind SMS_PROVIDER=twilio proves that not a single request went out for any of them.
 */

const twilio = fakeTwilioPerServer({ SMS_ALLOWED_COUNTRIES: "US" });

forEachServer(
  "phone number screening (SMS_ALLOWED_COUNTRIES=US, Twilio)",
  (ctx) => {
    let user: Awaited<ReturnType<typeof signedUpUser>>;
    beforeAll(async () => {
      user = await signedUpUser(ctx);
    });

    it.each([
      ["garbage", "hello"],
      ["a number without its country code", "4155550123"],
      ["a number too short to exist", "+1 415 555"],
      ["a UK landline", "+44 20 7183 8750"],
      ["a UK premium-rate number", "+44 909 879 0000"],
    ])("refuses %s as invalid_phone without calling Twilio", async (_label, phoneNumber) => {
      const before = twilio.of(ctx).requests.length;
      const response = await user.client.post("/api/account/phone", { phoneNumber, currentPassword: user.password });
      expect(response.status, response.text).toBe(400);
      expect(response.body.error).toMatchObject({ code: "invalid_phone", fields: { phoneNumber: expect.any(String) } });
      expect(twilio.of(ctx).requests.length).toBe(before);
      expect((await user.client.get("/api/account/phone/verification")).status).toBe(404);
    });

    it("refuses a number far too long at the schema (invalid_request), without calling Twilio", async () => {
      const before = twilio.of(ctx).requests.length;
      const response = await user.client.post("/api/account/phone", {
        phoneNumber: `+1${"5".repeat(40)}`,
        currentPassword: user.password,
      });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({
        code: "invalid_request",
        fields: { phoneNumber: expect.any(String) },
      });
      expect(twilio.of(ctx).requests.length).toBe(before);
    });

    it.each([
      ["a UK mobile", "+44 7400 123456"],
      ["a Turkish mobile", "+90 555 123 45 67"],
    ])("refuses %s as unsupported_country without calling Twilio", async (_label, phoneNumber) => {
      const fake = twilio.of(ctx);
      const before = fake.requests.length;
      const response = await user.client.post("/api/account/phone", { phoneNumber, currentPassword: user.password });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe("unsupported_country");
      expect(fake.requests.length).toBe(before);
    });

    it("texts an allowed mobile number, normalised to E.164", async () => {
      const fake = twilio.of(ctx);
      const phone = uniquePhone();
      const national = `+1 (${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
      const response = await user.client.post("/api/account/phone", {
        phoneNumber: national,
        currentPassword: user.password,
      });
      expect(response.status, response.text).toBe(202);
      expect(fake.requests.at(-1)!.form.To).toBe(phone);
      const code = await fakeTwilioCode(fake)(phone);
      const verified = await user.client.post("/api/account/phone/verify", {
        verificationId: response.body.verificationId,
        code,
      });
      expect(verified.body.user).toMatchObject({ phoneNumber: `+1 ••• ••• ${phone.slice(-4)}`, phoneVerified: true });
    });
  },
  { env: twilio.env },
);
