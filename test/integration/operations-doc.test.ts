import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { forEachServer } from "../helpers/harness";
import { enrolTotp } from "../helpers/totp";
import { signedUpUser } from "../helpers/harness";

/**
 * docs/operations.md tells an operator how to reset a user who lost every second factor. The SQL there is run
 * here as written, so the page cannot drift from the schema.
 */

const doc = readFileSync(path.resolve(import.meta.dirname, "../../docs/operations.md"), "utf8");
const script = doc.match(/```sql\n([\s\S]*?)```/)![1]!;

forEachServer("the operator's factor reset (docs/operations.md)", (ctx) => {
  it("leaves the account with the password alone: no factor, no codes, no session, no open challenge", async () => {
    const user = await signedUpUser(ctx);
    await enrolTotp(ctx, user.client, user.password);
    const before = ctx.client();
    const open = await before.post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(open.body.twoFactorRequired).toBe(true);

    const statements = script
      .replaceAll("someone@example.com", user.email)
      .split(/;\s*\n/)
      .map((statement) => statement.replace(/^\s*--.*$/gm, "").trim())
      .filter((statement) => statement && !/^(BEGIN|COMMIT)$/i.test(statement));
    await ctx.server.database.db.transaction(async (tx) => {
      for (const statement of statements) await tx.execute(sql.raw(statement));
    });

    expect((await user.client.get("/api/auth/session")).status).toBe(401);
    const state = await before.get("/api/auth/two-factor/challenge");
    expect(state.status).toBe(410);
    const signIn = await ctx.client().post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(signIn.status, signIn.text).toBe(200);
    expect(signIn.body.user.twoFactor).toEqual({ sms: false, totp: false, passkeys: 0, recoveryCodesLeft: 0 });
  });
});
