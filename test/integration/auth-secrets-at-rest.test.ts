import { createHash, randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { Database } from "../../src/db/client";
import { outboxSealer } from "../../src/db/outbox";
import { outboxMessages } from "../../src/db/schema";
import { forEachServer, lastEmail, signedUpUser, uniqueEmail } from "../helpers/harness";

/**
 * A database dump must not hand out sessions, links or passwords: every token the API gave out in this test is
 * looked for, in several encodings, in the text of every row of every table.
 */

const PASSWORD = "unique plaintext passphrase 7f3a";

async function dumpDatabase(database: Database): Promise<string> {
  const tables = (await database.execute(
    sql`select table_name from information_schema.tables where table_schema = 'public'`,
  )) as unknown as { rows: Array<{ table_name: string }> };
  const parts: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = (await database.execute(sql.raw(`select t::text as row from "${table_name}" t`))) as unknown as {
      rows: Array<{ row: string }>;
    };
    parts.push(`${table_name}: ${rows.rows.map((r) => r.row).join("\n")}`);
  }
  return parts.join("\n");
}

/** The forms a careless implementation might store: the token, its secret half, raw bytes as bytea hex. */
function encodings(token: string): string[] {
  const secret = token.split(".")[1]!;
  const raw = Buffer.from(secret, "base64url");
  return [
    token,
    secret,
    raw.toString("hex"),
    raw.toString("base64"),
    Buffer.from(token).toString("hex"),
    Buffer.from(secret).toString("hex"),
  ];
}

forEachServer("no secret in the database in clear", (ctx) => {
  it("stores no link token, session token or password, and seals the outbox payload", async () => {
    const alice = await signedUpUser(ctx, { password: PASSWORD });
    const secrets: Record<string, string> = {};
    secrets.sessionFromVerify = alice.client.cookie!;
    secrets.verify = (await lastEmail(ctx.server, alice.email, /^Confirm your email/))!.token!;

    const cli = ctx.client({ origin: null });
    secrets.bearer = (await cli.post("/api/auth/sign-in", { email: alice.email, password: PASSWORD })).body.token;
    const browser = ctx.client();
    await browser.post("/api/auth/sign-in", { email: alice.email, password: PASSWORD });
    secrets.cookie = browser.cookie!;

    await ctx.client().post("/api/auth/forgot-password", { email: alice.email });
    secrets.reset = (await lastEmail(ctx.server, alice.email, /^Reset your/))!.token!;
    const newEmail = uniqueEmail("new");
    expect((await alice.client.post("/api/account/email", { currentPassword: PASSWORD, newEmail })).status).toBe(202);
    secrets.change = (await lastEmail(ctx.server, newEmail, /^Confirm your new email/))!.token!;

    // An unused and a used link alike.
    const unverified = uniqueEmail("pending");
    await ctx.client().post("/api/auth/sign-up", { email: unverified, password: PASSWORD, name: "Grace Hopper" });
    secrets.pendingVerify = (await lastEmail(ctx.server, unverified, /^Confirm your email/))!.token!;

    for (const [name, token] of Object.entries(secrets)) expect(token, name).toMatch(/^[\w-]{16,}\.[\w-]{32,}$/);

    const dump = await dumpDatabase(ctx.server.database.db);
    // Sanity: the dump does contain the rows (ids are public halves and are stored).
    expect(dump).toContain(alice.email);
    expect(dump).toContain(secrets.reset!.split(".")[0]);
    // …and renders bytea as hex, so a token kept as raw bytes would show up: the session's SHA-256 does.
    expect(dump).toContain(createHash("sha256").update(secrets.cookie!.split(".")[1]!).digest("hex"));
    for (const [name, token] of Object.entries(secrets)) {
      for (const form of encodings(token))
        expect(dump.includes(form), `${name} stored as ${form.slice(0, 12)}…`).toBe(false);
    }
    for (const form of [PASSWORD, Buffer.from(PASSWORD).toString("hex"), Buffer.from(PASSWORD).toString("base64")])
      expect(dump.includes(form)).toBe(false);
    expect(dump).not.toContain("#token=");
    expect(dump).not.toContain(Buffer.from("#token=").toString("hex"));

    // The outbox holds each link only sealed: it opens under SECRET, and under no other key.
    const [row] = await ctx.server.database.db
      .select()
      .from(outboxMessages)
      .where(eq(outboxMessages.recipient, newEmail));
    expect(row!.payload.includes(Buffer.from(secrets.change!))).toBe(false);
    expect(outboxSealer(ctx.server.config.secret).open(row!.payload)).toContain(secrets.change);
    expect(() => outboxSealer(randomBytes(32)).open(row!.payload)).toThrow();

    // Session tokens and passwords never reach the logs either (links do, in dev mode only: see smtp-end-to-end).
    const logs = ctx.log.text();
    for (const name of ["sessionFromVerify", "bearer", "cookie"])
      expect(logs.includes(secrets[name]!.split(".")[1]!), name).toBe(false);
    expect(logs).not.toContain(PASSWORD);
  });
});
