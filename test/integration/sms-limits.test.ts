import { expect, it } from "vitest";
import { limits, smsPhoneKey } from "../../src/core/limits";
import {
  fakeTwilioCode,
  fakeTwilioPerServer,
  forEachServer,
  randomIp,
  type ServerContext,
  signedUpUser,
  type TestClient,
  type TestResponse,
  twoFactorUser,
  uniquePhone,
} from "../helpers/harness";

/**
 * SMS send limits: per number 5 codes per 10 minutes (Twilio Verify's default), counted apart for phone
 * verification codes and for authentication codes (sign-in, step-up); per number 10 a day and per account 10 a
 * day, both kinds together; per client IP 20 an hour; SMS_GLOBAL_HOURLY_LIMIT. A refusal is 429 sms_limit with
 * Retry-After, a security event, and, proven by the fake Twilio's request count, no provider call.
 */

type User = Awaited<ReturnType<typeof signedUpUser>>;

/**
 * Sends codes for one account the way a user can: a number, then two resends a minute apart, then the next
 * number. `client` is who sends (its IP counts); `headers()` go on every request.
 */
function codeSender(
  ctx: ServerContext,
  user: User,
  client: TestClient = user.client,
  headers: () => Record<string, string> = () => ({}),
) {
  let verificationId: string | undefined;
  let sendsToNumber = 0;
  return async function send(): Promise<TestResponse> {
    if (verificationId && sendsToNumber < 3) {
      ctx.clock.advance(61);
      sendsToNumber++;
      return client.post("/api/account/phone/resend", { verificationId }, headers());
    }
    const response = await client.post(
      "/api/account/phone",
      { phoneNumber: uniquePhone(), currentPassword: user.password },
      headers(),
    );
    verificationId = response.body?.verificationId;
    sendsToNumber = 1;
    return response;
  };
}

/** A client with the user's session, from `ip`. */
function from(ctx: ServerContext, user: User, ip: string): TestClient {
  const client = ctx.client({ ip });
  client.cookie = user.client.cookie;
  return client;
}

async function smsLimitedEvents(user: User) {
  const events = (await user.client.get("/api/account/security-events")).body.events as Array<{
    type: string;
    ip: string;
  }>;
  return events.filter((e) => e.type === "sms_limited");
}

function expectSmsLimit(response: TestResponse, maxRetryAfter: number) {
  expect(response.status, response.text).toBe(429);
  expect(response.body.error.code).toBe("sms_limit");
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
}

/**
 * A sign-in whose first text was refused by an SMS limit: the password was right, so the challenge stands for the
 * account's other methods (its recovery codes here) and says why no text came; no session yet.
 */
function expectSignInSmsLimit(response: TestResponse, maxRetryAfter: number) {
  expect(response.status, response.text).toBe(200);
  expect(response.body.twoFactorRequired).toBe(true);
  expect(response.body.challenge.methods).toEqual(["sms", "recovery_code"]);
  expect(response.body.challenge.smsError.code).toBe("sms_limit");
  expect(response.body.challenge.smsError.retryAfterSeconds).toBeGreaterThan(0);
  expect(response.body.challenge.smsError.retryAfterSeconds).toBeLessThanOrEqual(maxRetryAfter);
}

/** Another account (a family sharing the phone) starts verifying `phone`: one verification code. */
async function verificationBy(ctx: ServerContext, phone: string): Promise<TestResponse> {
  const user = await signedUpUser(ctx);
  return user.client.post("/api/account/phone", { phoneNumber: phone, currentPassword: user.password });
}

/** A sign-in with the right password from a new browser, which then waits for its code: one sign-in code. */
async function signInFromNewBrowser(ctx: ServerContext, owner: { email: string; password: string }) {
  const browser = ctx.client();
  const response = await browser.post("/api/auth/sign-in", { email: owner.email, password: owner.password });
  return { browser, response };
}

function expectCodeAsked(response: TestResponse) {
  expect(response.status, response.text).toBe(200);
  expect(response.body.twoFactorRequired).toBe(true);
}

/** 20 codes over two accounts from one peer address, with `headers()` on every request; then a third account. */
async function spendIpBudget(ctx: ServerContext, peer: string, headers: () => Record<string, string>) {
  for (let account = 0; account < 2; account++) {
    const user = await signedUpUser(ctx);
    const send = codeSender(ctx, user, from(ctx, user, peer), headers);
    for (let i = 0; i < 10; i++) {
      const response = await send();
      expect(response.status, `account ${account}, code ${i}: ${response.text}`).toBe(202);
    }
  }
  const user = await signedUpUser(ctx);
  return { user, client: from(ctx, user, peer) };
}

const twilio = fakeTwilioPerServer();

forEachServer(
  "SMS send limits",
  (ctx) => {
    it("allows 5 codes per number in 10 minutes, for any account, then 429 sms_limit before calling Twilio", async () => {
      const fake = twilio.of(ctx);
      const user = await signedUpUser(ctx);
      const phone = uniquePhone();
      const started = await user.client.post("/api/account/phone", {
        phoneNumber: phone,
        currentPassword: user.password,
      });
      expect(started.status).toBe(202);
      for (let i = 0; i < 4; i++) {
        ctx.clock.advance(61);
        expect(
          (await user.client.post("/api/account/phone/resend", { verificationId: started.body.verificationId })).status,
        ).toBe(202);
      }
      expect(fake.messages.filter((m) => m.to === phone)).toHaveLength(5);
      ctx.clock.advance(61);
      const before = fake.requests.length;
      expectSmsLimit(
        await user.client.post("/api/account/phone/resend", { verificationId: started.body.verificationId }),
        600,
      );
      expect(fake.requests.length).toBe(before);
      expect(fake.messages.filter((m) => m.to === phone)).toHaveLength(5);
      expect(await smsLimitedEvents(user)).toHaveLength(1);

      // The number is limited, not the account: another account gets nothing sent to it either…
      const other = await signedUpUser(ctx);
      expectSmsLimit(
        await other.client.post("/api/account/phone", { phoneNumber: phone, currentPassword: other.password }),
        600,
      );
      expect(await smsLimitedEvents(other)).toHaveLength(1);
      expect(fake.requests.length).toBe(before);
      // …while this account can still text another number.
      expect(
        (await user.client.post("/api/account/phone", { phoneNumber: uniquePhone(), currentPassword: user.password }))
          .status,
      ).toBe(202);
      expect(fake.requests.length).toBe(before + 1);
    });

    it("lets the owner in after verifying the phone, a sign-in and an abandoned sign-in: the 4th and 5th texts are sent", async () => {
      const fake = twilio.of(ctx);
      const readCode = fakeTwilioCode(fake);
      // Issue 11's story, which with one count of 3 per number ended in "try again in 7 minutes".
      const owner = await twoFactorUser(ctx, { readCode });
      const signInWithCode = async () => {
        const { browser, response } = await signInFromNewBrowser(ctx, owner);
        expectCodeAsked(response);
        const verified = await browser.post("/api/auth/two-factor/verify", {
          method: "sms",
          code: await readCode(owner.phone),
        });
        expect(verified.status, verified.text).toBe(200);
      };
      await signInWithCode();
      expectCodeAsked((await signInFromNewBrowser(ctx, owner)).response);
      await signInWithCode();
      await signInWithCode();
      expect(fake.messages.filter((m) => m.to === owner.phone)).toHaveLength(5);
      expect(await smsLimitedEvents(owner)).toHaveLength(0);
    });

    it("counts verification codes and sign-in or step-up codes apart: neither uses up the other's 5 per 10 minutes", async () => {
      const fake = twilio.of(ctx);
      const owner = await twoFactorUser(ctx, { readCode: fakeTwilioCode(fake) });
      const texts = () => fake.messages.filter((m) => m.to === owner.phone).length;
      // The owner's verification code and four from other accounts sharing the phone: the 6th is refused.
      for (let i = 0; i < 4; i++) expect((await verificationBy(ctx, owner.phone)).status).toBe(202);
      expectSmsLimit(await verificationBy(ctx, owner.phone), 600);
      expect(texts()).toBe(5);
      // Authentication codes have their own 5: four sign-ins and a step-up, all sent; then the 6th is refused.
      for (let i = 0; i < 4; i++) expectCodeAsked((await signInFromNewBrowser(ctx, owner)).response);
      const stepUp = await owner.client.post("/api/account/step-up/send", { method: "sms" });
      expect(stepUp.status, stepUp.text).toBe(202);
      expect(texts()).toBe(10);
      const before = fake.requests.length;
      const refused = await signInFromNewBrowser(ctx, owner);
      expectSignInSmsLimit(refused.response, 600);
      expect(refused.browser.cookie).toBeUndefined();
      // The page that takes over reads the same reason and wait from the challenge.
      const state = await refused.browser.get("/api/auth/two-factor/challenge");
      expect(state.body.smsError.code).toBe("sms_limit");
      expect(state.body.smsError.retryAfterSeconds).toBeGreaterThan(0);
      expect(state.body.smsError.retryAfterSeconds).toBeLessThanOrEqual(600);
      expect(fake.requests.length).toBe(before);
      expect(await smsLimitedEvents(owner)).toHaveLength(1);
    });

    it("allows 10 verification codes per number a day across accounts, and they never hold back the owner's sign-in codes", async () => {
      const fake = twilio.of(ctx);
      const owner = await twoFactorUser(ctx, { readCode: fakeTwilioCode(fake) });
      const phone = owner.phone;
      // Strangers start verifying the owner's number: with the owner's own verification, 10 in the day.
      for (let i = 0; i < 4; i++) expect((await verificationBy(ctx, phone)).status).toBe(202);
      // The limiter counts real time, which the test clock does not move: let the 10-minute window pass.
      await ctx.server.deps.limiter.reset(limits.smsPerPhoneBurst, smsPhoneKey("phone_verification", phone));
      for (let i = 0; i < 5; i++) expect((await verificationBy(ctx, phone)).status).toBe(202);
      await ctx.server.deps.limiter.reset(limits.smsPerPhoneBurst, smsPhoneKey("phone_verification", phone));
      expect(fake.messages.filter((m) => m.to === phone)).toHaveLength(10);

      const late = await signedUpUser(ctx);
      const refused = await late.client.post("/api/account/phone", {
        phoneNumber: phone,
        currentPassword: late.password,
      });
      expectSmsLimit(refused, 24 * 3600);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(600);
      expect(fake.messages.filter((m) => m.to === phone)).toHaveLength(10);
      expect(await smsLimitedEvents(late)).toHaveLength(1);
      // The owner's sign-in codes have their own day: the owner still signs in.
      expectCodeAsked((await signInFromNewBrowser(ctx, owner)).response);
      expect(fake.messages.filter((m) => m.to === phone)).toHaveLength(11);
      expect(await smsLimitedEvents(owner)).toHaveLength(0);
    });

    it("allows 10 sign-in and step-up codes per number a day, then 429 sms_limit for the rest of the day", async () => {
      const fake = twilio.of(ctx);
      const owner = await twoFactorUser(ctx, { readCode: fakeTwilioCode(fake) });
      const phone = owner.phone;
      for (let i = 0; i < 5; i++) expectCodeAsked((await signInFromNewBrowser(ctx, owner)).response);
      await ctx.server.deps.limiter.reset(limits.smsPerPhoneBurst, smsPhoneKey("sign_in", phone));
      // The account's own 10 a day would stop the 10th code first (its phone verification was one): another
      // account that verified the same number (a family's shared phone) sends the rest.
      const family = await twoFactorUser(ctx, { phone, readCode: fakeTwilioCode(fake) });
      for (let i = 0; i < 5; i++) expectCodeAsked((await signInFromNewBrowser(ctx, family)).response);
      await ctx.server.deps.limiter.reset(limits.smsPerPhoneBurst, smsPhoneKey("sign_in", phone));
      const before = fake.requests.length;
      const signIn = (await signInFromNewBrowser(ctx, owner)).response;
      expectSignInSmsLimit(signIn, 24 * 3600);
      expect(signIn.body.challenge.smsError.retryAfterSeconds).toBeGreaterThan(600);
      expect(fake.requests.length).toBe(before);
      expect(await smsLimitedEvents(owner)).toHaveLength(1);
    });

    it("allows 10 codes per account a day, over any numbers, then 429 sms_limit before calling Twilio", async () => {
      const fake = twilio.of(ctx);
      const user = await signedUpUser(ctx);
      const send = codeSender(ctx, user);
      for (let i = 0; i < 10; i++) expect((await send()).status).toBe(202);
      const before = fake.requests.length;
      expectSmsLimit(await send(), 24 * 3600);
      expectSmsLimit(
        await user.client.post("/api/account/phone", { phoneNumber: uniquePhone(), currentPassword: user.password }),
        24 * 3600,
      );
      expect(fake.requests.length).toBe(before);
      expect(await smsLimitedEvents(user)).toHaveLength(2);
    });

    it("allows 20 codes per client IP an hour across accounts; X-Forwarded-For changes nothing without TRUST_PROXY", async () => {
      const fake = twilio.of(ctx);
      const ip = randomIp();
      const spoofed = () => ({ "x-forwarded-for": randomIp() });
      const { user, client } = await spendIpBudget(ctx, ip, spoofed);
      const before = fake.requests.length;
      const refused = await client.post(
        "/api/account/phone",
        { phoneNumber: uniquePhone(), currentPassword: user.password },
        spoofed(),
      );
      expectSmsLimit(refused, 3600);
      expect(fake.requests.length).toBe(before);
      const [event] = await smsLimitedEvents(user);
      expect(event!.ip).toBe(ip);
      // The same account from another address is not limited.
      expect(
        (
          await from(ctx, user, randomIp()).post("/api/account/phone", {
            phoneNumber: uniquePhone(),
            currentPassword: user.password,
          })
        ).status,
      ).toBe(202);
    });
  },
  { env: twilio.env },
);

const proxied = fakeTwilioPerServer({ TRUST_PROXY: "1" });

forEachServer(
  "SMS IP limit behind a trusted proxy (TRUST_PROXY=1)",
  (ctx) => {
    it("counts the address the proxy forwarded, not the proxy's", async () => {
      const fake = proxied.of(ctx);
      const proxy = randomIp();
      const clientIp = randomIp();
      const forwarded = { "x-forwarded-for": clientIp };
      const { user, client } = await spendIpBudget(ctx, proxy, () => forwarded);
      const before = fake.requests.length;
      expectSmsLimit(
        await client.post(
          "/api/account/phone",
          { phoneNumber: uniquePhone(), currentPassword: user.password },
          forwarded,
        ),
        3600,
      );
      expect(fake.requests.length).toBe(before);
      expect((await smsLimitedEvents(user))[0]!.ip).toBe(clientIp);
      // Another client behind the same proxy has its own budget.
      const other = randomIp();
      const allowed = await client.post(
        "/api/account/phone",
        { phoneNumber: uniquePhone(), currentPassword: user.password },
        { "x-forwarded-for": other },
      );
      expect(allowed.status, allowed.text).toBe(202);
      const events = (await user.client.get("/api/account/security-events")).body.events as Array<{
        type: string;
        ip: string;
      }>;
      expect(events.find((e) => e.type === "phone_verification_started")!.ip).toBe(other);
    });
  },
  { env: proxied.env },
);

const global = fakeTwilioPerServer({ SMS_GLOBAL_HOURLY_LIMIT: "3" });

forEachServer(
  "global SMS limit (SMS_GLOBAL_HOURLY_LIMIT=3)",
  (ctx) => {
    it("refuses the 4th SMS of the hour for anyone, sign-in codes included, before calling Twilio", async () => {
      const fake = global.of(ctx);
      const owner = await twoFactorUser(ctx, { readCode: fakeTwilioCode(fake) });
      for (let i = 0; i < 2; i++) {
        const user = await signedUpUser(ctx);
        expect(
          (await user.client.post("/api/account/phone", { phoneNumber: uniquePhone(), currentPassword: user.password }))
            .status,
        ).toBe(202);
      }
      expect(fake.messages).toHaveLength(3);

      const browser = ctx.client();
      const signIn = await browser.post("/api/auth/sign-in", { email: owner.email, password: owner.password });
      expectSignInSmsLimit(signIn, 3600);
      expect(browser.cookie).toBeUndefined();
      const late = await signedUpUser(ctx);
      expectSmsLimit(
        await late.client.post("/api/account/phone", { phoneNumber: uniquePhone(), currentPassword: late.password }),
        3600,
      );
      expect(fake.requests).toHaveLength(3);
      expect(await smsLimitedEvents(owner)).toHaveLength(1);
      expect(await smsLimitedEvents(late)).toHaveLength(1);
    });
  },
  { env: global.env },
);
