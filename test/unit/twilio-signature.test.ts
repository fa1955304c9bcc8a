import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { computeTwilioSignature, isValidTwilioSignature } from "../../src/delivery/sms/twilio-signature";

// The worked example of twilio.com/docs/usage/webhooks/webhooks-security. The page has printed two versions:
// the current one (caller +14158675310) signs to GvWf1cFY…, the older one (caller +12349013030) to 0/KCTR6D….
// "+12349013030 → GvWf1cFY…" pairs one version's numbers with the other's signature; no algorithm produces it.
const authToken = "12345";
const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
const example = (caller: string) => ({
  CallSid: "CA1234567890ABCDE",
  Caller: caller,
  Digits: "1234",
  From: caller,
  To: "+18005551212",
});
const params = example("+14158675310");
const signature = "GvWf1cFY/Q7PnoempGyD5oXAezc=";

describe("computeTwilioSignature", () => {
  it("reproduces Twilio's published examples", () => {
    expect(computeTwilioSignature(authToken, url, params)).toBe(signature);
    expect(computeTwilioSignature(authToken, url, example("+12349013030"))).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    // twilio-node's api-snippets (caller +14158675309).
    expect(computeTwilioSignature(authToken, url, example("+14158675309"))).toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  });

  it("is the documented HMAC-SHA1 over the URL and the sorted name+value pairs", () => {
    const data = `${url}CallSidCA1234567890ABCDECaller+14158675310Digits1234From+14158675310To+18005551212`;
    expect(computeTwilioSignature(authToken, url, params)).toBe(
      createHmac("sha1", authToken).update(data).digest("base64"),
    );
  });

  it("does not depend on the order the fields arrive in, and takes a parsed form body", () => {
    const reversed = Object.fromEntries(Object.entries(params).reverse());
    expect(computeTwilioSignature(authToken, url, reversed)).toBe(signature);
    const body = new URLSearchParams(
      "To=%2B18005551212&Digits=1234&From=%2B14158675310&Caller=%2B14158675310&CallSid=CA1234567890ABCDE",
    );
    expect(computeTwilioSignature(authToken, url, body)).toBe(signature);
  });

  it("sorts names case-sensitively (uppercase before lowercase), as Twilio does", () => {
    const expected = createHmac("sha1", authToken).update(`${url}Zed1alpha2`).digest("base64");
    expect(computeTwilioSignature(authToken, url, { alpha: "2", Zed: "1" })).toBe(expected);
  });

  it("signs a repeated name once per distinct value, values sorted", () => {
    const expected = createHmac("sha1", authToken).update(`${url}Ma1Mb2`).digest("base64");
    expect(computeTwilioSignature(authToken, url, { M: ["b2", "a1", "b2"] })).toBe(expected);
    expect(computeTwilioSignature(authToken, url, new URLSearchParams("M=b2&M=a1"))).toBe(expected);
  });

  it("signs the URL alone when there are no fields", () => {
    expect(computeTwilioSignature(authToken, url, {})).toBe(createHmac("sha1", authToken).update(url).digest("base64"));
  });
});

describe("isValidTwilioSignature", () => {
  it("accepts the published signature", () => {
    expect(isValidTwilioSignature(authToken, url, params, signature)).toBe(true);
  });

  it("rejects a tampered field, an added or a missing field", () => {
    expect(isValidTwilioSignature(authToken, url, { ...params, Digits: "9999" }, signature)).toBe(false);
    expect(isValidTwilioSignature(authToken, url, { ...params, Extra: "1" }, signature)).toBe(false);
    const { Digits: _omitted, ...fewer } = params;
    expect(isValidTwilioSignature(authToken, url, fewer, signature)).toBe(false);
  });

  it("rejects another URL: scheme, host, path or query", () => {
    for (const other of [
      "http://mycompany.com/myapp.php?foo=1&bar=2",
      "https://evil.example/myapp.php?foo=1&bar=2",
      "https://mycompany.com/other.php?foo=1&bar=2",
      "https://mycompany.com/myapp.php?foo=1&bar=3",
      "https://mycompany.com/myapp.php",
    ]) {
      expect(isValidTwilioSignature(authToken, other, params, signature), other).toBe(false);
    }
  });

  it("rejects the wrong auth token", () => {
    expect(isValidTwilioSignature("54321", url, params, signature)).toBe(false);
    expect(isValidTwilioSignature("", url, params, signature)).toBe(false);
  });

  it("rejects a missing, empty, truncated or altered header", () => {
    expect(isValidTwilioSignature(authToken, url, params, undefined)).toBe(false);
    expect(isValidTwilioSignature(authToken, url, params, null)).toBe(false);
    expect(isValidTwilioSignature(authToken, url, params, "")).toBe(false);
    expect(isValidTwilioSignature(authToken, url, params, signature.slice(0, -1))).toBe(false);
    expect(isValidTwilioSignature(authToken, url, params, `X${signature.slice(1)}`)).toBe(false);
    expect(isValidTwilioSignature(authToken, url, params, `${signature} `)).toBe(false);
  });

  it("accepts the URL with or without its port, as Twilio's helper libraries do", () => {
    const withPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    expect(isValidTwilioSignature(authToken, withPort, params, signature)).toBe(true);
    const signedWithPort = computeTwilioSignature(authToken, withPort, params);
    expect(isValidTwilioSignature(authToken, url, params, signedWithPort)).toBe(true);
    const local = "http://127.0.0.1:3000/api/webhooks/twilio/status";
    expect(isValidTwilioSignature(authToken, local, params, computeTwilioSignature(authToken, local, params))).toBe(
      true,
    );
    expect(
      isValidTwilioSignature(
        authToken,
        "http://127.0.0.1:3001/api/webhooks/twilio/status",
        params,
        computeTwilioSignature(authToken, local, params),
      ),
    ).toBe(false);
  });
});
