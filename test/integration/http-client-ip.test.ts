import { randomBytes } from "node:crypto";
import { beforeAll, expect, it } from "vitest";
import {
  type ClientOptions,
  forEachServer,
  type ServerContext,
  signedUpUser,
  STRONG_PASSWORD,
} from "../helpers/harness";

/**
 * The client IP is what rate limits count and what the sessions list shows. X-Forwarded-For is written by
 * the client unless a trusted proxy wrote it, so it counts only as far as TRUST_PROXY says.
 */
async function recordedIp(
  ctx: ServerContext,
  email: string,
  headers: Record<string, string>,
  client: ClientOptions = {},
) {
  const browser = ctx.client(client);
  const signIn = await browser.post("/api/auth/sign-in", { email, password: STRONG_PASSWORD }, headers);
  expect(signIn.status).toBe(200);
  const sessions = await browser.get("/api/account/sessions", headers);
  const events = await browser.get("/api/account/security-events", headers);
  const session = sessions.body.sessions.find((s: { current: boolean }) => s.current);
  // The security event of this sign-in carries the same address as its session.
  expect(events.body.events[0]).toMatchObject({ type: "sign_in", ip: session.ip });
  return { ip: session.ip as string, peer: browser.ip };
}

forEachServer("client IP without TRUST_PROXY", (ctx) => {
  let email: string;
  beforeAll(async () => {
    email = (await signedUpUser(ctx)).email;
  });

  it.each([
    ["X-Forwarded-For", { "x-forwarded-for": "203.0.113.7" }],
    ["a chain of X-Forwarded-For", { "x-forwarded-for": "203.0.113.7, 198.51.100.1" }],
    ["X-Real-IP", { "x-real-ip": "203.0.113.7" }],
    ["Forwarded", { forwarded: "for=203.0.113.7" }],
  ])("ignores %s: the session records the TCP peer", async (_header, headers) => {
    const { ip, peer } = await recordedIp(ctx, email, headers);
    expect(ip).toBe(peer);
  });
});

forEachServer(
  "client IP with TRUST_PROXY=1",
  (ctx) => {
    let email: string;
    beforeAll(async () => {
      email = (await signedUpUser(ctx)).email;
    });

    it("takes the address the proxy appended", async () => {
      expect((await recordedIp(ctx, email, { "x-forwarded-for": "203.0.113.7" })).ip).toBe("203.0.113.7");
    });

    it("trusts one hop only: an address the client put in front is ignored", async () => {
      expect((await recordedIp(ctx, email, { "x-forwarded-for": "198.51.100.66, 203.0.113.7" })).ip).toBe(
        "203.0.113.7",
      );
      expect((await recordedIp(ctx, email, { "x-forwarded-for": "198.51.100.66,203.0.113.8 ,  " })).ip).toBe(
        "203.0.113.8",
      );
    });

    it("falls back to the peer without the header and unwraps IPv4-mapped addresses", async () => {
      const bare = await recordedIp(ctx, email, {});
      expect(bare.ip).toBe(bare.peer);
      expect((await recordedIp(ctx, email, { "x-forwarded-for": "::ffff:203.0.113.9" })).ip).toBe("203.0.113.9");
      expect((await recordedIp(ctx, email, {}, { ip: "::ffff:192.0.2.44" })).ip).toBe("192.0.2.44");
    });

    it("counts a hop that is not an address as the peer's, however long", async () => {
      // Found by fuzzing: kilobytes of X-Forwarded-For became a rate-limit key too large for its index (a 500).
      const { email: other } = await signedUpUser(ctx);
      for (const hop of ["unknown", randomBytes(4000).toString("hex"), `fe80::1%${"a".repeat(100)}`]) {
        const { ip, peer } = await recordedIp(ctx, other, { "x-forwarded-for": `203.0.113.7, ${hop}` });
        expect(ip).toBe(peer);
      }
    });
  },
  { env: { TRUST_PROXY: "1" } },
);

forEachServer(
  "client IP with TRUST_PROXY as a CIDR list",
  (ctx) => {
    let email: string;
    beforeAll(async () => {
      email = (await signedUpUser(ctx)).email;
    });

    it("takes X-Forwarded-For when the peer is a trusted proxy", async () => {
      // Test clients connect from 10.x.y.z, inside 10.0.0.0/8.
      expect((await recordedIp(ctx, email, { "x-forwarded-for": "203.0.113.7" })).ip).toBe("203.0.113.7");
    });

    it("walks back over every trusted hop and stops at the first untrusted one", async () => {
      const chain = "198.51.100.66, 203.0.113.7, 192.168.4.4, 10.20.30.40";
      expect((await recordedIp(ctx, email, { "x-forwarded-for": chain })).ip).toBe("203.0.113.7");
      expect(
        (await recordedIp(ctx, email, { "x-forwarded-for": "203.0.113.10, 172.16.0.1" }, { ip: "192.168.0.1" })).ip,
      ).toBe("172.16.0.1");
    });

    it("ignores the header when the peer is not a trusted proxy", async () => {
      const direct = await recordedIp(ctx, email, { "x-forwarded-for": "203.0.113.7" }, { ip: "198.51.100.23" });
      expect(direct.ip).toBe("198.51.100.23");
      // 10.0.0.0/8 does not cover 100.x (a prefix match on the text would).
      expect((await recordedIp(ctx, email, { "x-forwarded-for": "203.0.113.7" }, { ip: "100.1.2.3" })).ip).toBe(
        "100.1.2.3",
      );
    });
  },
  { env: { TRUST_PROXY: "10.0.0.0/8, 192.168.0.0/16" } },
);
