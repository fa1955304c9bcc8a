import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import type { Database } from "../../src/db/client";
import { STEP_UP_WINDOW_SECONDS } from "../../src/core/step-up";
import {
  forEachServer,
  lastEmail,
  lastSms,
  signedUpUser,
  STRONG_PASSWORD,
  twoFactorUser,
  type ServerContext,
} from "../helpers/harness";

type Rows<T> = { rows: T[] };

async function rows<T>(database: Database, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await database.execute(query)) as unknown as Rows<T>).rows;
}

/** Every row of every table as text, with the table's name: where an account's traces could hide. */
async function dumpDatabase(database: Database): Promise<Array<{ table: string; row: string }>> {
  const tables = await rows<{ table_name: string }>(
    database,
    sql`select table_name from information_schema.tables where table_schema = 'public'`,
  );
  const out: Array<{ table: string; row: string }> = [];
  for (const { table_name } of tables) {
    for (const { row } of await rows<{ row: string }>(
      database,
      sql.raw(`select t::text as row from "${table_name}" t`),
    ))
      out.push({ table: table_name, row });
  }
  return out;
}

async function signIn(ctx: ServerContext, email: string, password: string) {
  const client = ctx.client();
  const res = await client.post("/api/auth/sign-in", { email, password });
  return { client, res };
}

forEachServer("DELETE /api/account", (ctx) => {
  it("every table with a user_id references users ON DELETE CASCADE (so deleting the row removes the account's data)", async () => {
    const db = ctx.server.database.db;
    const columns = await rows<{ table_name: string }>(
      db,
      sql`select table_name from information_schema.columns where table_schema = 'public' and column_name = 'user_id'`,
    );
    const cascading = await rows<{ table_name: string }>(
      db,
      sql`select tc.table_name from information_schema.table_constraints tc
          join information_schema.referential_constraints rc
            on rc.constraint_name = tc.constraint_name and rc.constraint_schema = tc.constraint_schema
          join information_schema.constraint_column_usage ccu
            on ccu.constraint_name = rc.unique_constraint_name and ccu.constraint_schema = rc.unique_constraint_schema
          where tc.table_schema = 'public' and tc.constraint_type = 'FOREIGN KEY'
            and ccu.table_name = 'users' and rc.delete_rule = 'CASCADE'`,
    );
    expect(columns.length).toBeGreaterThanOrEqual(10);
    const withCascade = new Set(cascading.map((r) => r.table_name));
    for (const { table_name } of columns) expect(withCascade, table_name).toContain(table_name);
  });

  it("deletes the account: 204, cookie cleared, every session gone, the password no longer signs in, one goodbye email, nothing left", async () => {
    const owner = await signedUpUser(ctx);
    const other = await signIn(ctx, owner.email, STRONG_PASSWORD);
    const bystander = await signedUpUser(ctx);
    const { id } = (await owner.client.get("/api/auth/session")).body.user;

    const res = await owner.client.delete("/api/account", { currentPassword: STRONG_PASSWORD });
    expect(res.status, res.text).toBe(204);
    expect(res.headers.getSetCookie().join("\n")).toMatch(/Max-Age=0/i);

    for (const client of [owner.client, other.client]) {
      const session = await client.get("/api/auth/session");
      expect(session.status).toBe(401);
      expect(session.body.error.code).toBe("unauthenticated");
    }
    const again = await signIn(ctx, owner.email, STRONG_PASSWORD);
    expect(again.res.status).toBe(401);
    expect(again.res.body.error.code).toBe("invalid_credentials");

    const goodbye = await lastEmail(ctx.server, owner.email);
    expect(goodbye?.subject).toMatch(/account was deleted/);
    expect(goodbye?.body).not.toContain(STRONG_PASSWORD);

    // Nothing of the account remains but the goodbye's outbox row (addressed to the email, its own data sealed).
    const dump = await dumpDatabase(ctx.server.database.db);
    // Rate-limit counters (keyed by id or address) stay until their window ends, as for any visitor: deleting
    // them would hand a fresh budget to whoever is guessing.
    const kept = dump.filter(({ table }) => table !== "rate_limits");
    expect(kept.filter(({ row }) => row.includes(id))).toEqual([]);
    const withEmail = kept.filter(({ row }) => row.includes(owner.email));
    expect(withEmail.map(({ table }) => table)).toEqual(["outbox_messages"]);
    expect(withEmail[0]!.row).toContain("account_deleted");

    // A log line instead of a security event, by id and without the address.
    // (The dev outbox prints whole emails to the console by design; the deletion's own line is what counts.)
    const line = ctx.log.lines.find((l) => l.includes('"account deleted"'));
    expect(JSON.parse(line!)).toMatchObject({ userId: id });
    expect(line).not.toContain(owner.email);

    // Someone else's account is untouched.
    expect((await bystander.client.get("/api/auth/session")).status).toBe(200);
    expect((await signIn(ctx, bystander.email, STRONG_PASSWORD)).res.status).toBe(200);
  });

  it("refuses a wrong password with 401 invalid_credentials on the field, and deletes nothing", async () => {
    const owner = await signedUpUser(ctx);
    const res = await owner.client.delete("/api/account", { currentPassword: "not my password at all" });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_credentials");
    expect(res.body.error.fields.currentPassword).toBeTruthy();
    expect((await owner.client.get("/api/auth/session")).status).toBe(200);
    expect((await signIn(ctx, owner.email, STRONG_PASSWORD)).res.status).toBe(200);
  });

  it("refuses a body without the password (400) and a request without a session (401)", async () => {
    const owner = await signedUpUser(ctx);
    const empty = await owner.client.delete("/api/account", {});
    expect(empty.status).toBe(400);
    const stranger = await ctx.client().delete("/api/account", { currentPassword: STRONG_PASSWORD });
    expect(stranger.status).toBe(401);
    expect(stranger.body.error.code).toBe("unauthenticated");
  });

  it("with two-factor on, needs a recent second factor first (403 second_factor_required), then deletes", async () => {
    const owner = await twoFactorUser(ctx);
    ctx.clock.advance(STEP_UP_WINDOW_SECONDS + 1);
    try {
      const refused = await owner.client.delete("/api/account", { currentPassword: owner.password });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("second_factor_required");
      expect((await owner.client.get("/api/auth/session")).status).toBe(200);

      expect((await owner.client.post("/api/account/step-up/send", { method: "sms" })).status).toBe(202);
      const code = (await lastSms(ctx.server, owner.phone))!.code;
      expect((await owner.client.post("/api/account/step-up", { method: "sms", code })).status).toBe(204);
      const deleted = await owner.client.delete("/api/account", { currentPassword: owner.password });
      expect(deleted.status, deleted.text).toBe(204);
      expect((await signIn(ctx, owner.email, owner.password)).res.body.error.code).toBe("invalid_credentials");
    } finally {
      ctx.clock.reset();
    }
  });

  it("links sent before the deletion are dead after it, even once the address signs up again", async () => {
    const owner = await signedUpUser(ctx);
    expect((await ctx.client().post("/api/auth/forgot-password", { email: owner.email })).status).toBe(202);
    const reset = (await lastEmail(ctx.server, owner.email, /^Reset your/))?.token;
    const newEmail = `moved-${owner.email}`;
    const change = await owner.client.post("/api/account/email", { currentPassword: STRONG_PASSWORD, newEmail });
    expect(change.status).toBe(202);
    const confirm = (await lastEmail(ctx.server, newEmail))?.token;
    expect(reset && confirm).toBeTruthy();
    // Both links work up to the deletion.
    expect((await ctx.client().post("/api/auth/reset-password/check", { token: reset })).status).toBe(204);

    expect((await owner.client.delete("/api/account", { currentPassword: STRONG_PASSWORD })).status).toBe(204);

    const dead = async () => {
      for (const [path, body] of [
        ["/api/auth/reset-password/check", { token: reset }],
        ["/api/auth/reset-password", { token: reset, password: "another long passphrase 7" }],
        ["/api/auth/confirm-email-change", { token: confirm }],
      ] as const) {
        const res = await ctx.client().post(path, body);
        expect(res.status, path).toBe(400);
        expect(res.body.error.code, path).toBe("invalid_token");
      }
    };
    await dead();
    // The address is free again; a new account under it does not inherit the old account's links.
    expect(
      (await ctx.client().post("/api/auth/sign-up", { email: owner.email, password: STRONG_PASSWORD, name: "New" }))
        .status,
    ).toBe(202);
    await dead();
  });

  it("two deletes at once (a double click, two tabs): one 204, the rest 401, one goodbye email", async () => {
    const owner = await signedUpUser(ctx);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => owner.client.delete("/api/account", { currentPassword: STRONG_PASSWORD })),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 204)).toEqual([401, 401, 401, 401]);
    const goodbyes = await rows<{ n: number }>(
      ctx.server.database.db,
      sql`select count(*)::int as n from outbox_messages where recipient = ${owner.email} and template = 'account_deleted'`,
    );
    expect(goodbyes[0]!.n).toBe(1);
  });
});
