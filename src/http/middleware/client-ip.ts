import { BlockList, isIP } from "node:net";
import type { Context, MiddlewareHandler } from "hono";
import type { TrustProxy } from "../../config";
import type { AppEnv, HostBindings } from "../env";

function normalizeIp(ip: string): string {
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
}

/** IPv4 and IPv6 (`fd00::/8`, `2001:db8::1`); a malformed entry matches nothing rather than everything. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const address = normalizeIp(ip);
  const family = isIP(address);
  const [range, bitsText] = cidr.split("/");
  if (!family || !range) return false;
  const rangeAddress = normalizeIp(range);
  const rangeFamily = isIP(rangeAddress);
  if (rangeFamily !== family) return false;
  if (bitsText === undefined) return withAddress(rangeAddress, family).check(address, family === 4 ? "ipv4" : "ipv6");
  // Number("") is 0: without the digit check a typo like "10.0.0.0/" would trust every address as a proxy.
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= (family === 4 ? 32 : 128))) return false;
  const list = new BlockList();
  list.addSubnet(rangeAddress, bits, family === 4 ? "ipv4" : "ipv6");
  return list.check(address, family === 4 ? "ipv4" : "ipv6");
}

function withAddress(address: string, family: number): BlockList {
  const list = new BlockList();
  list.addAddress(address, family === 4 ? "ipv4" : "ipv6");
  return list;
}

/**
 * The client IP behind rate limits and the sessions list. X-Forwarded-For is client-controlled, so it is read
 * only as far as TRUST_PROXY says: N trusted hops, or the hops whose address is in a trusted CIDR.
 */
export function resolveClientIp(remoteAddress: string, forwardedFor: string | undefined, trust: TrustProxy): string {
  const peer = normalizeIp(remoteAddress);
  if (trust.kind === "none" || !forwardedFor) return peer;
  const chain = [
    ...forwardedFor
      .split(",")
      .map((s) => normalizeIp(s.trim()))
      .filter(Boolean),
    peer,
  ];
  let index = trust.kind === "hops" ? Math.max(0, chain.length - 1 - trust.hops) : chain.length - 1;
  // Walk from the nearest hop outwards while the hop is a trusted proxy.
  if (trust.kind === "cidrs") while (index > 0 && trust.cidrs.some((cidr) => ipInCidr(chain[index]!, cidr))) index--;
  // A hop that is not an address (a forged or mangled header) says nothing about the client: the request counts
  // as the peer's, instead of its text becoming a rate-limit key (kilobytes of it broke the key's index: a 500).
  return isAddress(chain[index]!) ? chain[index]! : peer;
}

// 45 characters is the longest IPv6 text; isIP alone accepts a zone of any length (`fe80::1%…`).
function isAddress(text: string): boolean {
  return text.length <= 45 && isIP(text) !== 0;
}

export const clientIp = (trust: TrustProxy): MiddlewareHandler<AppEnv> =>
  async function clientIp(c, next) {
    const forwardedFor = c.env?.forwardedFor !== undefined ? c.env.forwardedFor : c.req.header("x-forwarded-for");
    c.set("clientIp", resolveClientIp(c.env?.remoteAddress ?? "0.0.0.0", forwardedFor, trust));
    return next();
  };

/** 127.0.0.0/8 and ::1, also in their IPv4-mapped forms: an address on this machine. */
export function isLoopbackAddress(address: string): boolean {
  const ip = normalizeIp(address);
  if (ip === "::1" || ip === "0:0:0:0:0:0:0:1") return true;
  return isIP(ip) === 4 && ipInCidr(ip, "127.0.0.0/8");
}

/**
 * Whether the TCP peer is on this machine: the dev outbox shows every code and reset link, so it answers nobody
 * else. The socket's address only, never X-Forwarded-For, which any client can write; a host that could only
 * read the peer from such a header says so (peerUnverified) and is refused. (A reverse proxy on this machine
 * makes every request loopback: a dev server is not meant to sit behind one.)
 */
export function isLoopbackPeer(bindings: HostBindings | undefined): boolean {
  const peer = bindings?.remoteAddress;
  return peer !== undefined && !bindings?.peerUnverified && isLoopbackAddress(peer);
}

export const loopbackPeer = (c: Context<AppEnv>): boolean => isLoopbackPeer(c.env);
