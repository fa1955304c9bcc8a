import type { MiddlewareHandler } from "hono";
import type { TrustProxy } from "../../config";
import type { AppEnv } from "../env";

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    const n = Number(part);
    if (!/^\d{1,3}$/.test(part) || n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

export function ipInCidr(ip: string, cidr: string): boolean {
  const [range, bitsText] = cidr.split("/");
  if (!range) return false;
  if (bitsText === undefined) return normalizeIp(ip) === normalizeIp(range);
  const a = ipv4ToInt(normalizeIp(ip));
  const b = ipv4ToInt(range);
  // Number("") is 0: without the digit check a typo like "10.0.0.0/" would trust every address as a proxy.
  const bits = /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (a === null || b === null || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

/**
 * The client IP behind rate limits and the sessions list. X-Forwarded-For is client-controlled, so it is read
 * only as far as TRUST_PROXY says: N trusted hops, or the hops whose address is in a trusted CIDR.
 */
export function resolveClientIp(remoteAddress: string, forwardedFor: string | undefined, trust: TrustProxy): string {
  const peer = normalizeIp(remoteAddress);
  if (trust.kind === "none" || !forwardedFor) return peer;
  const chain = [...forwardedFor.split(",").map((s) => normalizeIp(s.trim())).filter(Boolean), peer];
  if (trust.kind === "hops") return chain[Math.max(0, chain.length - 1 - trust.hops)]!;
  // Walk from the nearest hop outwards while the hop is a trusted proxy.
  let index = chain.length - 1;
  while (index > 0 && trust.cidrs.some((cidr) => ipInCidr(chain[index]!, cidr))) index--;
  return chain[index]!;
}

export const clientIp = (trust: TrustProxy): MiddlewareHandler<AppEnv> =>
  async function clientIp(c, next) {
    const forwardedFor = c.env?.forwardedFor !== undefined ? c.env.forwardedFor : c.req.header("x-forwarded-for");
    c.set("clientIp", resolveClientIp(c.env?.remoteAddress ?? "0.0.0.0", forwardedFor, trust));
    return next();
  };
