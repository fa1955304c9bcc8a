import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Twilio signs every webhook it sends (status callbacks included) in the `X-Twilio-Signature` header:
 * base64(HMAC-SHA1(authToken, url + name1 + value1 + name2 + value2 …)), where `url` is the full URL Twilio
 * requested (scheme, host, path, query string, exactly as configured) and the POST parameters are sorted by
 * name, case-sensitively (https://www.twilio.com/docs/usage/webhooks/webhooks-security).
 *
 * The URL must be the public one Twilio called (config.appUrl + path), not one rebuilt from a proxied request.
 */

/** The form fields of the request: a parsed body, or a record (a repeated name as an array). */
export type TwilioParams = URLSearchParams | Readonly<Record<string, string | readonly string[]>>;

export function computeTwilioSignature(authToken: string, url: string, params: TwilioParams): string {
  return createHmac("sha1", authToken).update(signedText(url, params), "utf8").digest("base64");
}

/**
 * Constant-time check of an `X-Twilio-Signature` header. Like Twilio's own helper libraries (twilio-node's
 * validateRequest), it accepts the signature over the URL with the port written out (`:443`/`:80` added when
 * none is given) or left off, "since signature generation on the back end is inconsistent".
 */
export function isValidTwilioSignature(
  authToken: string,
  url: string,
  params: TwilioParams,
  header: string | null | undefined,
): boolean {
  if (!header || !authToken) return false;
  const received = Buffer.from(header, "utf8");
  let valid = false;
  for (const candidate of urlVariants(url)) {
    const expected = Buffer.from(computeTwilioSignature(authToken, candidate, params), "utf8");
    // Lengths are public (28 base64 characters for SHA-1); only the content must not leak through timing.
    if (expected.length === received.length && timingSafeEqual(expected, received)) valid = true;
  }
  return valid;
}

function signedText(url: string, params: TwilioParams): string {
  const values = new Map<string, string[]>();
  const entries = params instanceof URLSearchParams ? params.entries() : flatten(params);
  for (const [name, value] of entries) values.set(name, [...(values.get(name) ?? []), value]);
  // Default string order compares UTF-16 code units: the case-sensitive "Unix-style" order Twilio documents.
  // A name sent more than once contributes name+value once per distinct value, values sorted (as twilio-node does).
  return [...values.keys()].sort().reduce(
    (text, name) =>
      text +
      [...new Set(values.get(name))]
        .sort()
        .map((value) => name + value)
        .join(""),
    url,
  );
}

function* flatten(params: Readonly<Record<string, string | readonly string[]>>): Generator<[string, string]> {
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === "string") yield [name, value];
    else for (const item of value) yield [name, item];
  }
}

const defaultPorts: Record<string, string> = { "https:": "443", "http:": "80" };

/** The URL as given, and the same URL with its port removed or, when it has none, the scheme's default port added. */
function urlVariants(url: string): string[] {
  const match = /^(https?:)\/\/([^/?#@]+)(.*)$/i.exec(url);
  if (!match) return [url];
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  const port = /:\d+$/.exec(authority);
  if (port) return [url, `${scheme}//${authority.slice(0, -port[0].length)}${rest}`];
  return [url, `${scheme}//${authority}:${defaultPorts[scheme.toLowerCase()]}${rest}`];
}
