// A page for a visitor without a session reads no database: the layout needs only the configuration (where messages
// go, for the dev inbox link). So a first `npm start` serves its first page as soon as the pages are built, while
// the embedded database is still being created (scripts/server.mjs).
//
// Here the database never answers at all: a TCP server that accepts connections and stays silent. Served from the
// browser tests' build by its own scripts/server.mjs, the home page must still render at once, while the API waits.
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../helpers/network";

const root = path.resolve(import.meta.dirname, "../..");
const silentSockets = new Set<net.Socket>();
const silentDatabase = net.createServer((socket) => {
  silentSockets.add(socket);
  socket.on("close", () => silentSockets.delete(socket));
});
let server: ReturnType<typeof spawn> | undefined;
let baseURL = "";
let output = "";

beforeAll(async () => {
  if (process.env.E2E_BASE_URL) return;
  await new Promise<void>((resolve) => silentDatabase.listen(0, "127.0.0.1", resolve));
  const databasePort = (silentDatabase.address() as net.AddressInfo).port;
  const port = await closedPort();
  baseURL = `http://localhost:${port}`;
  server = spawn(process.execPath, ["scripts/server.mjs"], {
    cwd: root,
    detached: true,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      APP_URL: baseURL,
      NEXT_DIST_DIR: ".next-e2e",
      NODE_ENV: "test",
      DATABASE_URL: `postgres://postgres@127.0.0.1:${databasePort}/twofold`,
      SECRET: "without-database-test-secret-0123456789abcdef",
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.on("data", (chunk) => (output += chunk));
  server.stderr?.on("data", (chunk) => (output += chunk));
  // Listening: scripts/server.mjs listens once Next is ready to serve the build.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const listening = await fetch(`${baseURL}/icon.svg`).then(
      (response) => response.ok,
      () => false,
    );
    if (listening) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not listen within 30 s:\n${output}`);
});

afterAll(async () => {
  // SIGKILL: a graceful stop would wait for the database that never answers.
  if (server?.pid) process.kill(-server.pid, "SIGKILL");
  for (const socket of silentSockets) socket.destroy();
  await new Promise((resolve) => silentDatabase.close(resolve));
});

describe("a page while the database is not there yet", () => {
  it.skipIf(Boolean(process.env.E2E_BASE_URL))(
    "renders for a visitor without a session, with the dev inbox link, while the API is still waiting",
    async () => {
      const page = await fetch(`${baseURL}/`, { signal: AbortSignal.timeout(5_000) });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain("Twofold");
      expect(html).toContain('href="/dev/inbox"');
      // scripts/server.mjs keeps idle connections longer than proxies do (src/http/serve.ts says why).
      expect(page.headers.get("keep-alive")).toBe("timeout=65");

      // 50 visitors at once: every page renders, none waits for the database.
      const pages = await Promise.all(
        Array.from({ length: 50 }, () =>
          fetch(`${baseURL}/sign-up`, { signal: AbortSignal.timeout(20_000) }).then((response) => response.status),
        ),
      );
      expect(pages).toEqual(Array(50).fill(200));

      // The API has no database: its health check waits for one (and fails after 10 s), the page did not.
      const health = await fetch(`${baseURL}/api/health`, { signal: AbortSignal.timeout(1_000) }).then(
        (response) => response.status,
        (error: Error) => error.name,
      );
      expect(health).not.toBe(200);
    },
  );
});
