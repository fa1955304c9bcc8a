import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../src/db/client";

/** What node-postgres and Drizzle throw when PostgreSQL goes away, as seen in test/faults/postgres-restart.test.ts. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: "FATAL" });
const drizzleWrapped = (cause: unknown) => Object.assign(new Error("Failed query: select 1\nparams: "), { cause });

describe("isDatabaseUnavailable", () => {
  it.each([
    [
      "a restart cutting the connection (57P01)",
      pgError("57P01", "terminating connection due to administrator command"),
    ],
    ["the server starting up (57P03)", pgError("57P03", "the database system is starting up")],
    ["a connection exception (class 08)", pgError("08006", "connection failure")],
    ["a refused connection", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })],
    ["a connection lost mid-query", new Error("Connection terminated unexpectedly")],
    [
      "a client broken by an earlier error",
      new Error("Client has encountered a connection error and is not queryable"),
    ],
    ["a pool that cannot connect in time", new Error("timeout exceeded when trying to connect")],
    [
      "any of these wrapped by Drizzle",
      drizzleWrapped(pgError("57P01", "terminating connection due to administrator command")),
    ],
  ])("is true for %s", (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ["a unique violation", drizzleWrapped(pgError("23505", "duplicate key value violates unique constraint"))],
    ["a syntax error", pgError("42601", "syntax error at or near")],
    ["a bug", new TypeError("Cannot read properties of undefined")],
    ["not an error at all", "terminating"],
    ["nothing", undefined],
  ])("is false for %s", (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
