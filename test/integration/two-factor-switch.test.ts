import { expect, it } from "vitest";
import { forEachServer, lastEmail, signedUpUser, type TestClient, verifiedPhone } from "../helpers/harness";

/** POST /api/account/two-factor/sms: on needs a verified phone and the password, off needs the password. */

const eventTypes = async (client: TestClient) =>
  (await client.get("/api/account/security-events")).body.events.map((e: { type: string }) => e.type) as string[];
const toggle = (client: TestClient, enabled: boolean, currentPassword: string) =>
  client.post("/api/account/two-factor/sms", { enabled, currentPassword });

forEachServer("the SMS two-factor switch", (ctx) => {
  it("refuses to turn on without a verified phone (409 phone_not_verified), even with the right password", async () => {
    const user = await signedUpUser(ctx);
    const refused = await toggle(user.client, true, user.password);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("phone_not_verified");
    // A number still being verified is not enough either.
    await user.client.post("/api/account/phone", { phoneNumber: "+14155550100", currentPassword: user.password });
    expect((await toggle(user.client, true, user.password)).body.error.code).toBe("phone_not_verified");
    expect((await user.client.get("/api/auth/session")).body.user.twoFactor.sms).toBe(false);
    expect(await eventTypes(user.client)).not.toContain("two_factor_enabled");
  });

  it("turns on with a verified phone and the password: a security event and an email; sign-in then asks for a code", async () => {
    const user = await signedUpUser(ctx);
    const phone = await verifiedPhone(ctx, user.client, user.password);
    const wrong = await toggle(user.client, true, "not my password at all");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    expect((await user.client.get("/api/auth/session")).body.user.twoFactor.sms).toBe(false);
    expect(await lastEmail(ctx.server, user.email, /Two-step sign-in is on/)).toBeNull();

    const on = await toggle(user.client, true, user.password);
    expect(on.status).toBe(200);
    expect(on.body.user.twoFactor).toEqual({ sms: true, totp: false, passkeys: 0, recoveryCodesLeft: 10 });
    // The first factor brings the recovery codes, shown this once.
    expect(on.body.recoveryCodes).toHaveLength(10);
    expect(await eventTypes(user.client)).toContain("two_factor_enabled");
    const mail = await lastEmail(ctx.server, user.email, /Two-step sign-in is on/);
    expect(mail!.body).toContain(`+1 ••• ••• ${phone.slice(-4)}`);
    expect(mail!.body).not.toContain(phone);
    expect(
      (await ctx.client().post("/api/auth/sign-in", { email: user.email, password: user.password })).body
        .twoFactorRequired,
    ).toBe(true);
  });

  it("turns off only with the password: a security event and an email; sign-in then needs the password alone", async () => {
    const user = await signedUpUser(ctx);
    await verifiedPhone(ctx, user.client, user.password);
    expect((await toggle(user.client, true, user.password)).status).toBe(200);

    const wrong = await toggle(user.client, false, "not my password at all");
    expect(wrong.status).toBe(401);
    expect((await user.client.get("/api/auth/session")).body.user.twoFactor.sms).toBe(true);
    expect(await lastEmail(ctx.server, user.email, /Two-step sign-in is off/)).toBeNull();
    // A session alone, without any password, does not get through the schema either.
    expect((await user.client.post("/api/account/two-factor/sms", { enabled: false })).status).toBe(400);

    const off = await toggle(user.client, false, user.password);
    expect(off.status).toBe(200);
    expect(off.body.user).toMatchObject({ phoneVerified: true, twoFactor: { sms: false } });
    expect((await eventTypes(user.client)).slice(0, 2)).toEqual(["two_factor_disabled", "two_factor_enabled"]);
    expect(await lastEmail(ctx.server, user.email, /Two-step sign-in is off/)).not.toBeNull();
    const signIn = await ctx.client().post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(signIn.body.session.assuranceLevel).toBe(1);
  });

  it("writes no event and sends no email when the switch is already where asked", async () => {
    const user = await signedUpUser(ctx);
    expect((await toggle(user.client, false, user.password)).status).toBe(200);
    expect(await eventTypes(user.client)).not.toContain("two_factor_disabled");
    expect(await lastEmail(ctx.server, user.email, /Two-step sign-in/)).toBeNull();
  });

  it("needs a session (401)", async () => {
    expect(
      (await ctx.client().post("/api/account/two-factor/sms", { enabled: false, currentPassword: "whatever it is" }))
        .status,
    ).toBe(401);
  });
});
