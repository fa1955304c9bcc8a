import { describe, expect, it } from "vitest";
import { DeliveryError, isPermanentFailure } from "../../src/delivery/channel";
import {
  classifyTwilioError,
  maskPhoneForLog,
  redactPhoneNumbers,
  SmsDeliveryError,
} from "../../src/delivery/sms/twilio-errors";

describe("Twilio error classification", () => {
  it.each([
    [400, 21211, "invalid_phone"],
    [400, 21614, "invalid_phone"],
    [400, 21635, "invalid_phone"],
    [400, 21408, "unsupported_destination"],
    [400, 21610, "opted_out"],
    [401, 20003, "configuration"],
    [400, 21606, "configuration"],
    [429, 20429, "transient"],
    [400, 60200, "invalid_phone"],
    [403, 60205, "invalid_phone"],
    [403, 60605, "unsupported_destination"],
    [429, 60203, "transient"],
    // No code, or one without a meaning of its own: the HTTP status decides.
    [429, undefined, "transient"],
    [500, 20500, "transient"],
    [502, undefined, "transient"],
    [503, undefined, "transient"],
    [401, undefined, "configuration"],
    [403, 12345, "configuration"],
    [400, 21617, "rejected"],
    [400, undefined, "rejected"],
  ] as const)("HTTP %s, code %s → %s", (status, code, reason) => {
    expect(classifyTwilioError(status, code)).toBe(reason);
  });

  it("makes every reason but transient permanent, for the outbox worker", () => {
    const transient = new SmsDeliveryError("x", { reason: "transient" });
    const permanent = new SmsDeliveryError("x", { reason: "opted_out", code: 21610, httpStatus: 400 });
    expect(transient).toBeInstanceOf(DeliveryError);
    expect(isPermanentFailure(transient)).toBe(false);
    expect(isPermanentFailure(permanent)).toBe(true);
    expect(permanent).toMatchObject({ name: "SmsDeliveryError", reason: "opted_out", code: 21610, httpStatus: 400 });
  });
});

describe("phone masking in errors", () => {
  it("keeps the last 4 digits of a full number, 2 of a short one", () => {
    expect(maskPhoneForLog("+905551234567")).toBe("•••4567");
    expect(maskPhoneForLog("12345")).toBe("•••45");
    expect(maskPhoneForLog("12")).toBe("•••");
    expect(maskPhoneForLog("not a number")).toBe("•••");
  });

  it("masks numbers Twilio quotes back in its messages", () => {
    expect(redactPhoneNumbers("The 'To' number +15005550001 is not a valid phone number.")).toBe(
      "The 'To' number •••0001 is not a valid phone number.",
    );
    expect(redactPhoneNumbers("region indicated by the 'To' number: +44 7700 900123.")).toBe(
      "region indicated by the 'To' number: •••0123.",
    );
    expect(redactPhoneNumbers("exceeds the 1600 character limit")).toBe("exceeds the 1600 character limit");
  });
});
