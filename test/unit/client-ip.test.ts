import { describe, expect, it } from "vitest";
import type { TrustProxy } from "../../src/config";
import { ipInCidr, resolveClientIp } from "../../src/http/middleware/client-ip";
import { ipKey } from "../../src/core/limits";

const none: TrustProxy = { kind: "none" };
const hops = (n: number): TrustProxy => ({ kind: "hops", hops: n });
const cidrs = (...list: string[]): TrustProxy => ({ kind: "cidrs", cidrs: list });

describe("ipInCidr", () => {
  it.each([
    ["10.1.2.3", "10.0.0.0/8", true],
    ["11.0.0.1", "10.0.0.0/8", false],
    ["192.168.1.77", "192.168.1.0/24", true],
    ["192.168.2.1", "192.168.1.0/24", false],
    ["172.31.255.255", "172.16.0.0/12", true],
    ["172.32.0.0", "172.16.0.0/12", false],
    ["203.0.113.7", "203.0.113.7/32", true],
    ["203.0.113.8", "203.0.113.7/32", false],
    ["8.8.8.8", "0.0.0.0/0", true],
    ["255.255.255.255", "0.0.0.0/0", true],
    // A host address with its bits set beyond the prefix still names the same network.
    ["10.9.9.9", "10.200.0.1/8", true],
  ])("%s in %s → %s", (ip, cidr, expected) => {
    expect(ipInCidr(ip, cidr)).toBe(expected);
  });

  it("matches a bare address exactly", () => {
    expect(ipInCidr("127.0.0.1", "127.0.0.1")).toBe(true);
    expect(ipInCidr("127.0.0.2", "127.0.0.1")).toBe(false);
    expect(ipInCidr("::1", "::1")).toBe(true);
    expect(ipInCidr("::2", "::1")).toBe(false);
  });

  it("normalises IPv4-mapped IPv6 addresses", () => {
    expect(ipInCidr("::ffff:10.1.2.3", "10.0.0.0/8")).toBe(true);
    expect(ipInCidr("::ffff:127.0.0.1", "127.0.0.1")).toBe(true);
    expect(ipInCidr("127.0.0.1", "::ffff:127.0.0.1")).toBe(true);
  });

  it.each([
    ["10.0.0.1", "10.0.0.0/33"],
    ["10.0.0.1", "10.0.0.0/-1"],
    ["10.0.0.1", "10.0.0.0/abc"],
    ["10.0.0.1", "10.0.0.0/"],
    ["10.0.0.1", "10.0.0.0/8.5"],
    ["10.0.0.1", "10.0.0/8"],
    ["10.0.0.1", "10.0.0.256/8"],
    ["10.0.0.1", "/8"],
    ["10.0.0.1", ""],
    ["not-an-ip", "10.0.0.0/8"],
    ["10.0.0.1.5", "10.0.0.0/8"],
    ["2001:db8::1", "10.0.0.0/8"],
    ["1e1.0.0.1", "0.0.0.0/0"],
  ])("fails closed: %j in %j is false", (ip, cidr) => {
    expect(ipInCidr(ip, cidr)).toBe(false);
  });
});

describe("resolveClientIp", () => {
  describe("TRUST_PROXY none", () => {
    it("uses the peer address", () => {
      expect(resolveClientIp("203.0.113.7", undefined, none)).toBe("203.0.113.7");
    });

    it("ignores a spoofed X-Forwarded-For", () => {
      expect(resolveClientIp("203.0.113.7", "1.2.3.4", none)).toBe("203.0.113.7");
      expect(resolveClientIp("203.0.113.7", "1.2.3.4, 5.6.7.8", none)).toBe("203.0.113.7");
    });

    it("normalises an IPv4-mapped peer address", () => {
      expect(resolveClientIp("::ffff:203.0.113.7", undefined, none)).toBe("203.0.113.7");
    });

    it("leaves real IPv6 addresses alone", () => {
      expect(resolveClientIp("2001:db8::1", undefined, none)).toBe("2001:db8::1");
      expect(resolveClientIp("::1", undefined, none)).toBe("::1");
    });
  });

  describe("TRUST_PROXY hops", () => {
    it("takes the address the last trusted hop saw", () => {
      expect(resolveClientIp("10.0.0.1", "198.51.100.4", hops(1))).toBe("198.51.100.4");
    });

    it("ignores entries a client prepended to the header", () => {
      // The client sent "X-Forwarded-For: 1.1.1.1"; the one proxy appended the real address.
      expect(resolveClientIp("10.0.0.1", "1.1.1.1, 198.51.100.4", hops(1))).toBe("198.51.100.4");
    });

    it("walks back as many hops as configured", () => {
      expect(resolveClientIp("10.0.0.2", "1.1.1.1, 198.51.100.4, 10.0.0.1", hops(2))).toBe("198.51.100.4");
      expect(resolveClientIp("10.0.0.2", "198.51.100.4, 10.0.0.1", hops(2))).toBe("198.51.100.4");
    });

    it("stops at the leftmost entry when there are fewer entries than hops", () => {
      expect(resolveClientIp("10.0.0.1", "198.51.100.4", hops(5))).toBe("198.51.100.4");
    });

    it("uses the peer when there is no header", () => {
      expect(resolveClientIp("10.0.0.1", undefined, hops(1))).toBe("10.0.0.1");
      expect(resolveClientIp("10.0.0.1", "", hops(1))).toBe("10.0.0.1");
    });

    it("tolerates spaces and empty entries", () => {
      expect(resolveClientIp("10.0.0.1", " 1.1.1.1 ,, 198.51.100.4 ", hops(1))).toBe("198.51.100.4");
    });

    it("normalises IPv4-mapped addresses in the header", () => {
      expect(resolveClientIp("::ffff:10.0.0.1", "::ffff:198.51.100.4", hops(1))).toBe("198.51.100.4");
    });

    it("uses the peer when the trusted hop is not an address, whatever its length", () => {
      for (const hop of ["unknown", "_hidden", "1.2.3", "x".repeat(10_000), `fe80::1%${"a".repeat(100)}`]) {
        expect(resolveClientIp("10.0.0.1", `198.51.100.4, ${hop}`, hops(1))).toBe("10.0.0.1");
      }
    });
  });

  describe("TRUST_PROXY cidrs", () => {
    const trusted = cidrs("10.0.0.0/8", "192.168.0.1");

    it("uses X-Forwarded-For when the peer is a trusted proxy", () => {
      expect(resolveClientIp("10.0.0.1", "198.51.100.4", trusted)).toBe("198.51.100.4");
    });

    it("skips every trusted hop and stops at the first untrusted one", () => {
      expect(resolveClientIp("10.0.0.1", "1.1.1.1, 198.51.100.4, 192.168.0.1, 10.2.3.4", trusted)).toBe("198.51.100.4");
    });

    it("ignores a spoofed header from an untrusted peer", () => {
      expect(resolveClientIp("203.0.113.7", "10.0.0.5, 1.2.3.4", trusted)).toBe("203.0.113.7");
    });

    it("does not trust a forged private address that a client put in the header", () => {
      // The client claims to be behind 10.9.9.9; only the nearest untrusted hop (the client's real address) counts.
      expect(resolveClientIp("10.0.0.1", "10.9.9.9, 198.51.100.4", trusted)).toBe("198.51.100.4");
    });

    it("falls back to the leftmost entry when every hop is trusted", () => {
      expect(resolveClientIp("10.0.0.1", "10.0.0.3, 10.0.0.2", trusted)).toBe("10.0.0.3");
    });

    it("recognises an IPv4-mapped trusted peer", () => {
      expect(resolveClientIp("::ffff:10.0.0.1", "198.51.100.4", trusted)).toBe("198.51.100.4");
    });

    it("trusts nobody through a malformed CIDR", () => {
      expect(resolveClientIp("203.0.113.7", "1.2.3.4", cidrs("10.0.0.0/"))).toBe("203.0.113.7");
    });

    it("uses the peer when the first untrusted hop is not an address", () => {
      expect(resolveClientIp("10.0.0.1", "198.51.100.4, not-an-ip, 10.2.3.4", trusted)).toBe("10.0.0.1");
    });
  });
});

describe("IPv6", () => {
  it("matches IPv6 ranges and single addresses", () => {
    expect(ipInCidr("fd00::1", "fd00::/8")).toBe(true);
    expect(ipInCidr("fe80::1", "fd00::/8")).toBe(false);
    expect(ipInCidr("2001:db8::1", "2001:db8::1")).toBe(true);
    expect(ipInCidr("2001:db8::2", "2001:db8::1")).toBe(false);
    expect(ipInCidr("::1", "::1/128")).toBe(true);
    // Families never match across each other, and a bad prefix matches nothing.
    expect(ipInCidr("10.0.0.1", "fd00::/8")).toBe(false);
    expect(ipInCidr("fd00::1", "fd00::/129")).toBe(false);
  });

  it("walks back over trusted IPv6 proxies", () => {
    expect(resolveClientIp("fd00::2", "2001:db8:1::7, fd00::3", { kind: "cidrs", cidrs: ["fd00::/8"] })).toBe(
      "2001:db8:1::7",
    );
  });
});

describe("ipKey (rate-limit unit)", () => {
  it("keeps IPv4 addresses as they are", () => {
    expect(ipKey("203.0.113.7")).toBe("203.0.113.7");
  });

  it("folds an IPv6 address to its /64, however it is written", () => {
    expect(ipKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(ipKey("2001:0db8:0001:0002:ffff:0:0:9")).toBe("2001:db8:1:2::/64");
    expect(ipKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(ipKey("::1")).toBe("0:0:0:0::/64");
  });
});
