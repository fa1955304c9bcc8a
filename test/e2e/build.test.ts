// The build the browser tests are served from, as `npm run build` makes it (test/e2e/global-setup.ts): the pages, and
// beside them the API in one esbuild bundle. `next build` compiling the API into the pages cost 3 to 5 s of every
// build, most of what a first `npm start` waits for (scripts/api-bundle.mjs).
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { closedPort } from "../helpers/network";

const distDir = path.resolve(".next-e2e");
// A line only src/server.ts writes, so only a copy of the API holds it.
const apiMarker = "purged expired rows";

describe("the pages' build", () => {
  it.skipIf(Boolean(process.env.E2E_BASE_URL))("holds none of the API, which sits beside it in one bundle", () => {
    const serverDir = path.join(distDir, "server");
    const chunks = readdirSync(serverDir, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".js"));
    expect(chunks.length).toBeGreaterThan(20);
    const withApi = chunks.filter((file) => readFileSync(path.join(serverDir, file), "utf8").includes(apiMarker));
    expect(withApi).toEqual([]);
    expect(readFileSync(path.join(distDir, "twofold-api.mjs"), "utf8")).toContain(apiMarker);
  });
});

describe("a production build made before the pages' security headers moved to scripts/server.mjs", () => {
  it.skipIf(Boolean(process.env.E2E_BASE_URL))(
    "is refused by npm run serve with what to do, rather than served without its policy",
    async () => {
      // The browser tests' build, with an API bundle as it was: everything but securePageRequest.
      const staleDir = ".next-stale-api";
      const stale = path.resolve(staleDir);
      const dataDir = mkdtempSync(path.join(os.tmpdir(), "twofold-stale-api-"));
      try {
        rmSync(stale, { recursive: true, force: true });
        cpSync(distDir, stale, { recursive: true, filter: (source) => path.basename(source) !== "cache" });
        renameSync(path.join(stale, "twofold-api.mjs"), path.join(stale, "twofold-api-current.mjs"));
        writeFileSync(
          path.join(stale, "twofold-api.mjs"),
          'export { devOutboxChannels, getConfig, getServer, handleApiRequest, hostBindingsFromForwardedFor, isLoopbackPeer } from "./twofold-api-current.mjs";\n',
        );
        const port = await closedPort();
        const server = spawn(process.execPath, ["scripts/server.mjs"], {
          env: {
            PATH: process.env.PATH,
            NODE_ENV: "test",
            PORT: String(port),
            APP_URL: `http://localhost:${port}`,
            DATA_DIR: dataDir,
            NEXT_DIST_DIR: staleDir,
            NEXT_TELEMETRY_DISABLED: "1",
          },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        server.stdout.on("data", (chunk: Buffer) => (output += chunk));
        server.stderr.on("data", (chunk: Buffer) => (output += chunk));
        const code = await new Promise<number | null>((resolve) => server.on("exit", resolve));
        expect(code, output).toBe(1);
        expect(output).toContain(`The build in ${staleDir} is outdated: run \`npm run build\`.`);
        // It never listened: nothing was served without its policy.
        expect(output).not.toContain("ready on");
        const answer = await fetch(`http://127.0.0.1:${port}/`).then(
          (response) => response.status,
          () => "refused",
        );
        expect(answer).toBe("refused");
      } finally {
        rmSync(stale, { recursive: true, force: true });
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
