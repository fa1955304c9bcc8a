import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { createApp } from "../../src/http/app";
import type { AppServices } from "../../src/http/env";
import { APP_URL, forEachServer, TEST_SECRET } from "../helpers/harness";
import { problemsWith } from "./checks";
import { planArb } from "./plans";
import { type Answer, describe as describeRequest, send } from "./send";
import { NoGenerator, type OpenApiDocument, type Operation, operationKey, operationsOf } from "./schema";
import { World } from "./world";

/**
 * Property-based fuzzing of every HTTP endpoint: for each operation of the app's own OpenAPI document (plus the
 * routes it does not list), fast-check builds requests from the schema and bends them (wrong types, huge and
 * unicode strings, missing and extra fields, malformed JSON, wrong Content-Type and Content-Length, odd
 * methods, cookies, Authorization, Origin and X-Forwarded-For). Whatever arrives, the answer is never a 5xx and
 * every error is in the documented shape (./checks.ts).
 *
 * Every request is about accounts, sessions, challenges and links minted for it alone (./world.ts), and comes
 * from a fresh client IP: per-account and per-IP limits never make the run shallow.
 *
 * `npm test` runs a fixed seed with 16 requests per route on each database. `FUZZ_RUNS` (requests per route,
 * `npm run test:fuzz` = 400), `FUZZ_SEED` and `FUZZ_DATABASE` (pglite or postgres only) change the run. A
 * failure prints the requests, clipped, and how to replay them.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
/** Requests per route (per database). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 16);
// Requests go out four at a time: a route sees concurrent use, and PostgreSQL, whose commits wait on the disk,
// answers them in parallel.
const BATCH = 4;

/** The document as GET /api/openapi.json serves it, built at collection time so each route gets its own test. */
function documentOf(): OpenApiDocument {
  const config = loadConfig({
    APP_URL,
    SECRET: TEST_SECRET,
    DATA_DIR: mkdtempSync(path.join(tmpdir(), "twofold-fuzz-")),
    NODE_ENV: "test",
  });
  const app = createApp({ config, logger: pino({ level: "silent" }) } as AppServices);
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "Twofold API", version: "0" },
  }) as unknown as OpenApiDocument;
}

const document = documentOf();
const documented = operationsOf(document);

/** Routes the document does not list, and paths nobody serves (each method). */
const undocumented: Array<Operation & { runs?: number }> = [
  { method: "GET", path: "/api/openapi.json", spec: { responses: {} } },
  { method: "GET", path: "/api/docs", spec: { responses: {} } },
  // A static 3 MB script: a few requests show that headers cannot break it.
  { method: "GET", path: "/api/docs/scalar.js", spec: { responses: {} }, runs: Math.ceil(RUNS / 6) },
  ...["GET", "POST", "PUT", "PATCH", "DELETE"].map((method) => ({
    method,
    path: "/api/{rest}",
    spec: { parameters: [{ name: "rest", in: "path", schema: { type: "string" } }], responses: {} },
  })),
];

/** Routes that answer `unauthenticated`: most of their requests carry a live session. */
const wantsSession = (op: Operation) =>
  JSON.stringify(op.spec.responses["401"] ?? "").includes("unauthenticated") || op.path === "/api/auth/sign-out";

function seedFor(op: Operation): number {
  let hash = 2166136261;
  for (const char of operationKey(op)) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return (SEED + (hash >>> 0)) % 2 ** 31;
}

/**
 * fast-check's own report prints the whole counterexample (100 KiB strings and all); this one the requests, clipped.
 */
function report<Ts>(route: string) {
  return (details: fc.RunDetails<Ts>) => {
    if (!details.failed) return;
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    const replay = `FUZZ_SEED=${SEED} npx vitest run test/fuzz -t '${route}'`;
    throw new Error(
      `${route}: failed after ${details.numRuns} runs, shrunk ${details.numShrinks} times (seed ${details.seed}, path "${details.counterexamplePath}"; replay: ${replay})\n${cause}`,
    );
  };
}

class Tally {
  requests = 0;
  readonly byRoute = new Map<string, Map<string, number>>();
  startedAt = performance.now();

  record(op: Operation, answer: Answer) {
    this.requests++;
    const statuses = this.byRoute.get(operationKey(op)) ?? new Map<string, number>();
    const code = answer.status >= 300 ? /"code":"([a-z0-9_]+)"/.exec(answer.text)?.[1] : undefined;
    const outcome = code ? `${answer.status} ${code}` : String(answer.status);
    statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
    this.byRoute.set(operationKey(op), statuses);
  }

  summary(kind: string): string {
    const seconds = ((performance.now() - this.startedAt) / 1000).toFixed(1);
    const counts = [...this.byRoute.values()].flatMap((statuses) => [...statuses]);
    const fivexx = counts.filter(([outcome]) => Number.parseInt(outcome, 10) >= 500).reduce((n, [, c]) => n + c, 0);
    const lines = [...this.byRoute].map(
      ([route, statuses]) =>
        `  ${route.padEnd(42)} ${[...statuses]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([s, n]) => `${s}×${n}`)
          .join(", ")}`,
    );
    return [
      `fuzz [${kind}]: ${this.requests} requests, ${fivexx} 5xx, seed ${SEED}, ${RUNS} runs per route, ${seconds} s`,
      ...lines,
    ].join("\n");
  }
}

forEachServer(
  "fuzzing every endpoint",
  (ctx) => {
    let world: World;
    const tally = new Tally();
    beforeAll(async () => {
      world = await World.create(ctx.server);
      tally.startedAt = performance.now();
    });
    afterAll(() => console.log(tally.summary(ctx.kind)));

    it("has a request generator for every operation of the served OpenAPI document", async () => {
      const served = (await (
        await ctx.server.app.request(`${ctx.server.config.appUrl}/api/openapi.json`)
      ).json()) as OpenApiDocument;
      expect(operationsOf(served).map(operationKey).sort()).toEqual(documented.map(operationKey).sort());
      const missing: string[] = [];
      for (const op of operationsOf(served)) {
        try {
          planArb(op, served, { authenticated: wantsSession(op) });
        } catch (error) {
          if (!(error instanceof NoGenerator)) throw error;
          missing.push(error.message);
        }
      }
      expect(missing).toEqual([]);
    });

    for (const op of [...documented, ...undocumented]) {
      const runs = (op as { runs?: number }).runs ?? RUNS;
      it(
        `${operationKey(op)}: never 5xx, every error in the documented shape`,
        async () => {
          const request = planArb(op, document, { authenticated: wantsSession(op) });
          await fc.assert(
            fc.asyncProperty(fc.tuple(...Array.from({ length: BATCH }, () => request)), async (plans) => {
              const logged = ctx.log.lines.length;
              const answers = await Promise.all(plans.map((plan) => send(ctx.server, world, plan)));
              const failures: string[] = [];
              for (const answer of answers) {
                tally.record(op, answer);
                const problems = problemsWith(answer);
                if (problems.length > 0)
                  failures.push(
                    `${problems.join("; ")}\n${describeRequest(answer.request)}\n→ ${answer.status} ${answer.text.slice(0, 500)}`,
                  );
              }
              if (failures.length > 0) {
                const errors = ctx.log.lines.slice(logged).filter((line) => JSON.parse(line).level >= 50);
                throw new Error(`${failures.join("\n\n")}\n${errors.join("").slice(0, 3000)}`);
              }
            }),
            { seed: seedFor(op), numRuns: Math.ceil(runs / BATCH), reporter: report(operationKey(op)) },
          );
        },
        60_000 + runs * 500,
      );
    }
  },
  {
    only: process.env.FUZZ_DATABASE as "pglite" | "postgres" | undefined,
    env: (kind) => ({
      // The client IP comes from X-Forwarded-For (one proxy): each request gets fresh per-IP budgets, and odd
      // values of the header reach the code that reads it.
      TRUST_PROXY: "1",
      // Requests send real codes: the global SMS budget must outlast the run.
      SMS_GLOBAL_HOURLY_LIMIT: "10000000",
      // Twilio credentials with the dev outbox as provider: the signed status webhook is live, no text leaves.
      SMS_PROVIDER: "outbox",
      TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
      TWILIO_AUTH_TOKEN: "fuzz-twilio-auth-token",
      // One server over https: the __Host- cookie names and Secure cookies get fuzzed too.
      ...(kind === "postgres" ? { APP_URL: "https://auth.example.test" } : {}),
    }),
  },
);
