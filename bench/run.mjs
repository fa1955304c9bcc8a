// `npm run bench`: Twofold's API (standalone, src/http/serve.ts) against a bare node:http + pg peer
// (bench/peer-bare.mjs) on the same fresh PostgreSQL database, then Twofold alone on PGlite.
// A benchmark, not a test: it prints figures and fails only when it cannot measure. See bench/README.md.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { freePort, memory, procTable, sleep } from "./proc.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = process.env;
const num = (name, fallback) => (env[name] === undefined || env[name] === "" ? fallback : Number(env[name]));
const OPTS = {
  adminUrl: env.BENCH_PG_ADMIN_URL || "postgres://postgres@127.0.0.1:5432/postgres",
  pgLog: env.BENCH_PG_LOG || "/var/log/postgresql/postgresql-15-main.log",
  users: num("BENCH_USERS", 100),
  pgliteUsers: num("BENCH_PGLITE_USERS", 40),
  warmupSeconds: num("BENCH_WARMUP_SECONDS", 2),
  sessionSeconds: num("BENCH_SESSION_SECONDS", 8),
  signInSeconds: num("BENCH_SIGNIN_SECONDS", 8),
  sessionConcurrency: num("BENCH_SESSION_CONCURRENCY", 16),
  signInConcurrency: num("BENCH_SIGNIN_CONCURRENCY", 8),
  probeRequests: num("BENCH_PROBE_REQUESTS", 10),
  rounds: Math.max(1, num("BENCH_ROUNDS", 2)),
  // The checkout whose src/http/serve.ts is measured (A/B a patch from another directory); default this one.
  twofoldRoot: path.resolve(env.BENCH_TWOFOLD_ROOT || ROOT),
  // More checkouts to measure side by side on the same database, in the same alternating rounds (PostgreSQL).
  compareRoots: (env.BENCH_COMPARE_ROOTS || "")
    .split(",")
    .filter(Boolean)
    .map((dir) => path.resolve(dir)),
  pglite: env.BENCH_PGLITE !== "0",
  // Diagnostics: run Twofold as `node <these args> --import tsx src/http/serve.ts` instead of `npx tsx …`,
  // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (the profile is written when the bench stops the server).
  twofoldNodeArgs: (env.BENCH_TWOFOLD_NODE_ARGS || "").split(" ").filter(Boolean),
};
const PASSWORD = "bench-Kq7!vX2-mellow-otter";
const RUN_ID = randomBytes(4).toString("hex");
const CLK_TCK = 100; // Linux USER_HZ
const started = performance.now();
const log = (...args) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s]`, ...args);

// ---------------------------------------------------------------------------------------------- cleanup

const cleanups = [];
let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error("[bench] cleanup:", error.message);
      }
    }
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.error(`[bench] ${signal}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}
for (const event of ["uncaughtException", "unhandledRejection"]) {
  process.on(event, (error) => {
    console.error(`[bench] ${event}:`, error?.stack ?? error);
    cleanup().finally(() => process.exit(1));
  });
}

// ---------------------------------------------------------------------------------------------- processes

/** Starts a process in its own process group; its output is kept (tail) for failure reports. */
function startProcess(name, command, args, extraEnv, cwd = ROOT) {
  const childEnv = { ...process.env };
  for (const key of [
    "NODE_ENV",
    "DATABASE_URL",
    "DATA_DIR",
    "REDIS_URL",
    "SMTP_URL",
    "TRUST_PROXY",
    "APP_URL",
    "TRUSTED_ORIGINS",
    "SECRET",
    "PORT",
    "LOG_LEVEL",
    "NODE_OPTIONS",
  ])
    delete childEnv[key];
  Object.assign(childEnv, extraEnv);
  const child = spawn(command, args, { cwd, env: childEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
    child.on("error", (error) => {
      keep(`\n${name}: ${error.message}\n`);
      resolve({ code: -1, signal: null });
    });
  });
  const handle = { name, child, exited, output: () => output, stopped: false };
  handle.stop = async () => {
    if (handle.stopped) return;
    handle.stopped = true;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM"); // the group this script started
    } catch {}
    const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      await exited;
    }
  };
  cleanups.push(handle.stop);
  return handle;
}

const cmdline = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
};

/** npx → tsx cli → node running serve.ts: the deepest descendant whose command line names the script. */
function serverPid(rootPid, marker) {
  const table = procTable();
  let best = rootPid;
  let bestDepth = -1;
  const walk = (pid, depth) => {
    if (cmdline(pid).includes(marker) && depth > bestDepth) [best, bestDepth] = [pid, depth];
    for (const [child, info] of table) if (info.ppid === pid) walk(child, depth + 1);
  };
  walk(rootPid, 0);
  return best;
}

function cpuTicks(pid) {
  const info = procTable().get(pid);
  return info ? info.utime + info.stime : 0;
}

/** CPU of the PostgreSQL backends serving `database` (process titles "postgres: …: postgres <db> …"). */
function postgresBackendTicks(database) {
  const ticks = new Map();
  if (!database) return ticks;
  for (const [pid, info] of procTable()) {
    if (cmdline(pid).includes(` ${database} `)) ticks.set(pid, info.utime + info.stime);
  }
  return ticks;
}

function ticksSince(before, after) {
  let total = 0;
  for (const [pid, value] of after) total += value - (before.get(pid) ?? 0);
  return total;
}

// ---------------------------------------------------------------------------------------------- HTTP

function request(agent, port, method, urlPath, headers, body) {
  return new Promise((resolve) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (error) => resolve({ status: 0, body: "", error }));
    });
    req.on("error", (error) => resolve({ status: 0, body: "", error }));
    req.setTimeout(30_000, () => req.destroy(new Error("request timed out")));
    req.end(body);
  });
}

const setupAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });

async function call(port, method, urlPath, { headers = {}, json } = {}) {
  const body = json === undefined ? undefined : JSON.stringify(json);
  const allHeaders = { "user-agent": "twofold-bench", ...headers };
  if (body !== undefined)
    Object.assign(allHeaders, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  const res = await request(setupAgent, port, method, urlPath, allHeaders, body);
  let parsed = null;
  try {
    parsed = res.body ? JSON.parse(res.body) : null;
  } catch {}
  return { status: res.status, json: parsed, error: res.error };
}

async function waitReady(handle, port, urlPath, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.child.exitCode !== null || handle.child.pid === undefined)
      throw new Error(`${handle.name} exited (${handle.child.exitCode}):\n${handle.output()}`);
    const res = await call(port, "GET", urlPath);
    if (res.status === 200) return;
    await sleep(200);
  }
  throw new Error(`${handle.name} not ready after ${timeoutMs} ms:\n${handle.output()}`);
}

/** A distinct client address for every request that passes a per-IP limit (TRUST_PROXY=1 reads the last hop). */
let ipCounter = 1;
function nextIp() {
  const i = ipCounter++;
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * Fixed-concurrency closed-loop load over keep-alive sockets: `concurrency` workers each send, wait for the
 * answer, send again, until the deadline (or maxRequests). Latency is send→last byte, per request. Results
 * accumulate into `acc` so alternating rounds add up.
 */
async function drive({ port, concurrency, seconds, make, maxRequests = 1_000_000 }, acc = newAccumulator()) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, keepAliveMsecs: 1000 });
  let issued = 0;
  const begin = performance.now();
  const deadline = begin + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline && issued < maxRequests) {
      const { method, path: urlPath, headers, body } = make(issued++);
      const t0 = performance.now();
      const res = await request(agent, port, method, urlPath, headers, body);
      acc.latencies.push(performance.now() - t0);
      if (res.status === 0) acc.errors++;
      acc.statuses.set(res.status, (acc.statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  acc.elapsed += (performance.now() - begin) / 1000;
  agent.destroy();
  return acc;
}

const newAccumulator = () => ({
  latencies: [],
  statuses: new Map(),
  errors: 0,
  elapsed: 0,
  ticks: { app: 0, pg: 0, loadgen: 0, machine: 0 },
});

function summarize(acc) {
  const latencies = acc.latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : NaN;
  const ok = [...acc.statuses].filter(([s]) => s >= 200 && s < 300).reduce((n, [, c]) => n + c, 0);
  const count = latencies.length;
  const msPerReq = (ticks) => ((ticks / CLK_TCK) * 1000) / count;
  return {
    count,
    ok,
    errors: acc.errors,
    statuses: Object.fromEntries(acc.statuses),
    elapsed: acc.elapsed,
    rps: count / acc.elapsed,
    p50: pct(50),
    p99: pct(99),
    max: latencies.at(-1) ?? NaN,
    appCpuMsPerReq: msPerReq(acc.ticks.app),
    pgCpuMsPerReq: msPerReq(acc.ticks.pg),
    loadgenCpuMsPerReq: msPerReq(acc.ticks.loadgen),
    // Busy CPU of everything else on the machine (other users' tests, browsers…), in cores.
    otherCores:
      Math.max(0, acc.ticks.machine - acc.ticks.app - acc.ticks.pg - acc.ticks.loadgen) / CLK_TCK / acc.elapsed,
  };
}

/** Busy jiffies of the whole machine (all CPUs), from /proc/stat. */
function machineBusyTicks() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, _idle, _iowait, irq, softirq, steal] = fields;
  return user + nice + system + irq + softirq + steal;
}

const loadgenTicks = () => {
  const usage = process.cpuUsage();
  return ((usage.user + usage.system) / 1e6) * CLK_TCK;
};

function cpuSnapshot(target) {
  return {
    app: cpuTicks(target.pid),
    pg: postgresBackendTicks(target.database),
    loadgen: loadgenTicks(),
    machine: machineBusyTicks(),
  };
}

function addCpu(acc, target, before) {
  const after = cpuSnapshot(target);
  acc.ticks.app += after.app - before.app;
  acc.ticks.pg += ticksSince(before.pg, after.pg);
  acc.ticks.loadgen += after.loadgen - before.loadgen;
  acc.ticks.machine += after.machine - before.machine;
}

/**
 * One scenario over several targets: a warm-up per target (discarded), then `rounds` alternating rounds
 * (A B A B …) splitting the measured time, so drift in the machine's other load hits every target alike.
 */
async function measure(scenario, entries, seconds, concurrency) {
  for (const { target, make } of entries)
    if (OPTS.warmupSeconds > 0) await drive({ port: target.port, concurrency, seconds: OPTS.warmupSeconds, make });
  const accs = entries.map(() => newAccumulator());
  for (let round = 0; round < OPTS.rounds; round++) {
    for (const [i, { target, make }] of entries.entries()) {
      const before = cpuSnapshot(target);
      await drive({ port: target.port, concurrency, seconds: seconds / OPTS.rounds, make }, accs[i]);
      addCpu(accs[i], target, before);
    }
  }
  return entries.map(({ server }, i) => {
    const result = { ...summarize(accs[i]), concurrency };
    log(
      `${scenario} ${server}: ${result.count} requests, ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, statuses ${JSON.stringify(result.statuses)}`,
    );
    return { scenario, server, result };
  });
}

// ---------------------------------------------------------------------------------------------- Twofold

async function startTwofold(label, { databaseUrl, dataDir, root = OPTS.twofoldRoot }) {
  const port = await freePort();
  const [command, args] = OPTS.twofoldNodeArgs.length
    ? [process.execPath, [...OPTS.twofoldNodeArgs, "--import", "tsx", "src/http/serve.ts"]]
    : ["npx", ["tsx", "src/http/serve.ts"]];
  const handle = startProcess(
    label,
    command,
    args,
    {
      PORT: String(port),
      SECRET: randomBytes(32).toString("hex"),
      LOG_LEVEL: "silent",
      TRUST_PROXY: "1",
      DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    root,
  );
  await waitReady(handle, port, "/api/health");
  return { handle, port, pid: serverPid(handle.child.pid, "serve.ts") };
}

/**
 * N verified users through the real API: sign-up, the link from GET /api/dev/outbox, verify-email, then one
 * sign-in each (no Origin header, so the session token comes back in the body) for the Bearer tokens.
 * Sign-up/verify/sign-in per-IP limits are met with a distinct X-Forwarded-For per request.
 */
async function createUsers(port, count) {
  const users = [];
  const BATCH = 25; // the dev outbox lists the newest 50 messages
  for (let start = 0; start < count; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - start) }, (_, k) => ({
      email: `bench-${RUN_ID}-${start + k}@example.com`,
      name: `Bench ${start + k}`,
    }));
    await pool(batch, 4, async (user) => {
      const res = await call(port, "POST", "/api/auth/sign-up", {
        headers: { "x-forwarded-for": nextIp() },
        json: { email: user.email, password: PASSWORD, name: user.name },
      });
      if (res.status !== 202) throw new Error(`sign-up ${user.email}: ${res.status} ${JSON.stringify(res.json)}`);
    });
    const outbox = await call(port, "GET", "/api/dev/outbox");
    if (outbox.status !== 200) throw new Error(`dev outbox: ${outbox.status}`);
    for (const user of batch) {
      const message = outbox.json.messages.find((m) => m.to === user.email);
      const token = message && /#token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(message.body)?.[1];
      if (!token) throw new Error(`no verification link for ${user.email} in the dev outbox`);
      user.linkToken = token;
    }
    await pool(batch, 4, async (user) => {
      const verified = await call(port, "POST", "/api/auth/verify-email", {
        headers: { "x-forwarded-for": nextIp() },
        json: { token: user.linkToken },
      });
      if (verified.status !== 200)
        throw new Error(`verify-email ${user.email}: ${verified.status} ${JSON.stringify(verified.json)}`);
      const signedIn = await call(port, "POST", "/api/auth/sign-in", {
        headers: { "x-forwarded-for": nextIp() },
        json: { email: user.email, password: PASSWORD },
      });
      if (signedIn.status !== 200 || typeof signedIn.json?.token !== "string")
        throw new Error(`sign-in ${user.email}: ${signedIn.status} ${JSON.stringify(signedIn.json)}`);
      user.token = signedIn.json.token;
    });
    users.push(...batch);
  }
  return users;
}

async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

// Request makers: Twofold and the peer get the same users, tokens and bodies.
const sessionCheck = (users, urlPath) => (i) => ({
  method: "GET",
  path: urlPath,
  headers: { authorization: `Bearer ${users[i % users.length].token}`, "user-agent": "twofold-bench" },
});
const signInRequest = (users, urlPath) => (i) => {
  const body = JSON.stringify({ email: users[i % users.length].email, password: PASSWORD });
  return {
    method: "POST",
    path: urlPath,
    headers: {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "x-forwarded-for": nextIp(),
      "user-agent": "twofold-bench",
    },
    body,
  };
};

// ---------------------------------------------------------------------------------------------- statement count

/**
 * Counts the SQL statements each request sends, from PostgreSQL's own log: log_statement=all is set for the
 * bench database only, the pools' connections are recycled so they pick it up, and markers sent from a
 * separate connection bracket K sequential requests.
 */
async function countStatements({ admin, database, databaseUrl, targets, users }) {
  let logSize;
  try {
    logSize = statSync(OPTS.pgLog).size;
    closeSync(openSync(OPTS.pgLog, "r"));
  } catch (error) {
    return { skipped: `cannot read ${OPTS.pgLog} (${error.code}); set BENCH_PG_LOG` };
  }
  await admin.query(`ALTER DATABASE "${database}" SET log_statement = 'all'`);
  await admin.query(`ALTER DATABASE "${database}" SET log_parameter_max_length = 0`);
  await admin.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    [database],
  );
  await sleep(300);
  const marker = new pg.Client({ connectionString: databaseUrl });
  await marker.connect();
  try {
    const K = OPTS.probeRequests;
    const blocks = [
      ...targets.map((t) => [`${t.short} session check`, t.target.port, sessionCheck(users, t.sessionPath)]),
      ...targets.map((t) => [`${t.short} sign-in`, t.target.port, signInRequest(users, t.signInPath)]),
    ];
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // Reconnect the pools (terminated connections surface on first use), unlogged in the counts.
    for (const [, port, make] of blocks)
      for (let i = 0; i < 3; i++) {
        const r = make(i);
        await request(agent, port, r.method, r.path, r.headers, r.body);
      }
    logSize = statSync(OPTS.pgLog).size;
    const statuses = {};
    for (const [label, port, make] of blocks) {
      await marker.query(`SELECT 'bench-marker:start:${label}'`);
      for (let i = 0; i < K; i++) {
        const r = make(i);
        const res = await request(agent, port, r.method, r.path, r.headers, r.body);
        statuses[label] = (statuses[label] ?? "") + (res.status === 200 ? "" : ` ${res.status}`);
      }
      await marker.query(`SELECT 'bench-marker:end:${label}'`);
    }
    agent.destroy();
    await sleep(300);
    const fd = openSync(OPTS.pgLog, "r");
    const size = statSync(OPTS.pgLog).size;
    const buffer = Buffer.alloc(size - logSize);
    readSync(fd, buffer, 0, buffer.length, logSize);
    closeSync(fd);
    const lines = buffer.toString("utf8").split("\n");
    const statementRe = new RegExp(`\\[\\d+\\] \\S+@${database} LOG:  (?:statement|execute [^:]*): (.*)$`);
    const results = [];
    for (const [label] of blocks) {
      const start = lines.findIndex((l) => l.includes(`bench-marker:start:${label}'`));
      const end = lines.findIndex((l) => l.includes(`bench-marker:end:${label}'`));
      if (start < 0 || end < 0) return { skipped: `markers not found in ${OPTS.pgLog}` };
      const shapes = new Map();
      let total = 0;
      for (const line of lines.slice(start + 1, end)) {
        const sql = statementRe.exec(line)?.[1];
        // The outbox worker polls on its own timer; it is not part of any request.
        if (!sql || sql.includes("outbox_messages")) continue;
        total++;
        const shape = sql.replace(/\s+/g, " ").slice(0, 100);
        shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
      }
      results.push({
        label,
        perRequest: total / K,
        shapes: [...shapes].map(([shape, n]) => ({ shape, perRequest: n / K })),
        failures: statuses[label] ?? "",
      });
    }
    return { results };
  } finally {
    await marker.end();
    await admin.query(`ALTER DATABASE "${database}" RESET log_statement`).catch(() => {});
    await admin.query(`ALTER DATABASE "${database}" RESET log_parameter_max_length`).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------- report

const f = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

function printTable(rows) {
  const peerRps = (scenario) =>
    rows.find((r) => r.scenario === scenario && r.server.startsWith("bare peer"))?.result.rps;
  const vsPeer = (r) =>
    r.server.startsWith("bare peer") || !r.server.includes("PostgreSQL")
      ? "-"
      : f(r.result.rps / peerRps(r.scenario), 2);
  const header = [
    "scenario",
    "server",
    "conc",
    "requests",
    "req/s",
    "÷ peer",
    "p50 ms",
    "p99 ms",
    "max ms",
    "non-2xx",
    "app CPU ms/req",
    "PG CPU ms/req",
    "loadgen CPU ms/req",
    "other load",
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.server,
    String(r.result.concurrency),
    String(r.result.count),
    f(r.result.rps, 0),
    vsPeer(r),
    f(r.result.p50, 2),
    f(r.result.p99, 2),
    f(r.result.max, 1),
    String(r.result.count - r.result.ok),
    f(r.result.appCpuMsPerReq, 3),
    f(r.result.pgCpuMsPerReq, 3),
    f(r.result.loadgenCpuMsPerReq, 3),
    f(r.result.otherCores, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 2 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`);
  for (const row of body) console.log(line(row));
}

// ---------------------------------------------------------------------------------------------- main

async function main() {
  console.log(
    `Twofold bench: ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}, run ${RUN_ID}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  if (OPTS.twofoldRoot !== ROOT) console.log(`Twofold measured from ${OPTS.twofoldRoot}`);
  console.log(
    `Load: closed loop over keep-alive node:http sockets from this process; ${OPTS.warmupSeconds}s warm-up discarded, then ` +
      `session check ${OPTS.sessionSeconds}s at concurrency ${OPTS.sessionConcurrency}, sign-in ${OPTS.signInSeconds}s at concurrency ${OPTS.signInConcurrency}, ` +
      `each split into ${OPTS.rounds} alternating rounds (twofold, peer, twofold, peer…). Both servers use a pool of 10 connections.`,
  );
  console.log(
    "Rate limits: Twofold runs with TRUST_PROXY=1 and every sign-up/verify/sign-in request carries its own X-Forwarded-For " +
      "address (10.x.y.z), so the per-IP limits (sign-in 50/15 min) never trigger; sign-ins go round-robin over all users " +
      "(a correct password also resets the per-account counter). The peer has no rate limits.",
  );
  const rows = [];
  const memoryRows = [];

  // ---- PostgreSQL
  const adminUrl = new URL(OPTS.adminUrl);
  const database = `twofold_bench_${RUN_ID}`;
  const databaseUrl = Object.assign(new URL(OPTS.adminUrl), { pathname: `/${database}` }).toString();
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  cleanups.push(() => admin.end());
  await admin.query(`CREATE DATABASE "${database}"`);
  cleanups.push(() => admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
  const pgDataDir = mkdtempSync(path.join(os.tmpdir(), "twofold-bench-pg-"));
  cleanups.push(() => rmSync(pgDataDir, { recursive: true, force: true }));
  log(`database ${database} created; starting Twofold (npx tsx src/http/serve.ts) and the peer`);

  const peerPort = await freePort();
  const peerHandle = startProcess("peer", process.execPath, [path.join(ROOT, "bench/peer-bare.mjs")], {
    PORT: String(peerPort),
    DATABASE_URL: databaseUrl,
  });
  // One Twofold at a time: each runs the migrations at start-up.
  const ours = await startTwofold("twofold/pg", { databaseUrl, dataDir: pgDataDir });
  const compares = [];
  for (const root of OPTS.compareRoots)
    compares.push({
      root,
      server: await startTwofold(`twofold@${path.basename(root)}/pg`, { databaseUrl, dataDir: pgDataDir, root }),
    });
  await waitReady(peerHandle, peerPort, "/health");
  const peer = { handle: peerHandle, port: peerPort, pid: peerHandle.child.pid, database };
  const twofoldPaths = { sessionPath: "/api/auth/session", signInPath: "/api/auth/sign-in" };
  const targets = [
    { name: "twofold / PostgreSQL", short: "twofold", target: ours, ...twofoldPaths },
    ...compares.map(({ root, server }) => ({
      name: `twofold@${path.basename(root)} / PostgreSQL`,
      short: `twofold@${path.basename(root)}`,
      target: server,
      ...twofoldPaths,
    })),
    { name: "bare peer / PostgreSQL", short: "peer", target: peer, sessionPath: "/session", signInPath: "/sign-in" },
  ];
  for (const t of targets) t.target.database = database;
  log(
    `${targets.map((t) => `${t.short} on :${t.target.port} (pid ${t.target.pid})`).join(", ")}; creating ${OPTS.users} users`,
  );

  const users = await createUsers(ours.port, OPTS.users);
  log(`${users.length} users verified and signed in`);
  const idle = targets.map((t) => memory(t.target.pid));

  const sessionRows = await measure(
    "session check",
    targets.map((t) => ({ server: t.name, target: t.target, make: sessionCheck(users, t.sessionPath) })),
    OPTS.sessionSeconds,
    OPTS.sessionConcurrency,
  );
  const signInRows = await measure(
    "sign-in",
    targets.map((t) => ({ server: t.name, target: t.target, make: signInRequest(users, t.signInPath) })),
    OPTS.signInSeconds,
    OPTS.signInConcurrency,
  );
  rows.push(...sessionRows, ...signInRows);
  for (const [i, t] of targets.entries())
    memoryRows.push({ server: t.name, idle: idle[i], after: memory(t.target.pid) });
  const ratios = targets.slice(0, -1).map((t, i) => ({
    name: t.short,
    session: sessionRows[i].result.rps / sessionRows.at(-1).result.rps,
    signIn: signInRows[i].result.rps / signInRows.at(-1).result.rps,
    sessionP50: sessionRows[i].result.p50 / sessionRows.at(-1).result.p50,
    signInP50: signInRows[i].result.p50 / signInRows.at(-1).result.p50,
  }));

  log("counting SQL statements per request (log_statement=all on the bench database)");
  const statements = await countStatements({ admin, database, databaseUrl, targets, users });
  for (const t of targets) await t.target.handle.stop();

  // ---- PGlite
  let pgliteRows = [];
  if (OPTS.pglite) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "twofold-bench-pglite-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    log("starting Twofold on PGlite (no DATABASE_URL, temp DATA_DIR)");
    const lite = await startTwofold("twofold/pglite", { dataDir });
    log(`Twofold/PGlite on :${lite.port} (pid ${lite.pid}); creating ${OPTS.pgliteUsers} users`);
    const liteUsers = await createUsers(lite.port, OPTS.pgliteUsers);
    const liteIdle = memory(lite.pid);
    const liteName = "twofold / PGlite";
    const [sLite] = await measure(
      "session check",
      [{ server: liteName, target: lite, make: sessionCheck(liteUsers, "/api/auth/session") }],
      OPTS.sessionSeconds,
      OPTS.sessionConcurrency,
    );
    const [iLite] = await measure(
      "sign-in",
      [{ server: liteName, target: lite, make: signInRequest(liteUsers, "/api/auth/sign-in") }],
      OPTS.signInSeconds,
      OPTS.signInConcurrency,
    );
    pgliteRows = [sLite, iLite];
    memoryRows.push({ server: "twofold / PGlite", idle: liteIdle, after: memory(lite.pid) });
    await lite.handle.stop();
  }

  // ---- report
  console.log("");
  printTable([...rows, ...pgliteRows]);
  console.log("");
  for (const r of ratios) {
    console.log(
      `${r.name}/peer throughput on PostgreSQL (goal ≥ 0.50): session check ${f(r.session, 2)}, sign-in ${f(r.signIn, 2)}`,
    );
    console.log(
      `${r.name}/peer p50 latency on PostgreSQL: session check ${f(r.sessionP50, 2)}×, sign-in ${f(r.signInP50, 2)}×`,
    );
  }
  console.log(
    `"other load" is the busy CPU of processes outside this bench (other users' tests, browsers), in cores of ${os.cpus().length}; figures taken while it is high are noisy.`,
  );
  console.log("");
  console.log("Resident memory (VmRSS of the serving node process; VmHWM = peak):");
  for (const m of memoryRows)
    console.log(
      `  ${m.server.padEnd(28)} after setup ${f(m.idle.rssMb)} MB, after load ${f(m.after.rssMb)} MB (peak ${f(m.after.hwmMb)} MB)`,
    );
  console.log("");
  if (statements.skipped) console.log(`SQL statements per request: skipped, ${statements.skipped}`);
  else {
    console.log(
      `SQL statements per request (PostgreSQL log, ${OPTS.probeRequests} sequential requests each, outbox worker polls excluded):`,
    );
    for (const r of statements.results) {
      console.log(`  ${r.label.padEnd(28)} ${f(r.perRequest, 1)}${r.failures ? `  (non-200:${r.failures})` : ""}`);
      for (const s of r.shapes) console.log(`      ${f(s.perRequest, 1)} × ${s.shape}`);
    }
  }
  console.log("");
  console.log(`Total bench time ${f((performance.now() - started) / 1000, 0)} s.`);
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  console.error("[bench] failed:", error?.stack ?? error);
  exitCode = 1;
} finally {
  await cleanup();
  setupAgent.destroy();
}
process.exit(exitCode);
