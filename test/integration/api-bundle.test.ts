import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = process.cwd();
// Inside the project: the bundle finds its dependencies in node_modules from its own folder up.
const cacheDir = path.join(root, "node_modules", ".cache");
// A clean clone has no cache folder yet.
mkdirSync(cacheDir, { recursive: true });
const scratch = mkdtempSync(path.join(cacheDir, "twofold-bundle-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The API the pages call is bundled by esbuild beside the build (`npm run build`) or at start (`npm start`), so that
// `next build` never compiles it (scripts/api-bundle.mjs).
describe("scripts/api-bundle.mjs", () => {
  it("writes the pages' API beside a build: our code inside, the dependencies left to node_modules", async () => {
    const distDir = path.relative(root, scratch);
    await run(process.execPath, ["scripts/api-bundle.mjs"], { env: { ...process.env, NEXT_DIST_DIR: distDir } });
    const file = path.join(scratch, "twofold-api.mjs");
    const text = readFileSync(file, "utf8");
    // src/server.ts's own start-up log line: the API itself is in the bundle…
    expect(text).toContain("twofold ready");
    // …and its libraries are imported, not copied (native addons and WASM could not be bundled anyway).
    expect(text).toMatch(/from "@hono\/zod-openapi"/);
    expect(text).toMatch(/from "@node-rs\/argon2"/);
    const api = await import(pathToFileURL(file).href);
    // What app/lib/api-host.ts hands to the pages and the /api route, and scripts/server.mjs the pages' security
    // headers (src/next-host.ts).
    expect(Object.keys(api).sort()).toEqual([
      "devOutboxChannels",
      "getConfig",
      "getServer",
      "handleApiRequest",
      "hostBindingsFromForwardedFor",
      "isLoopbackPeer",
      "securePageRequest",
    ]);
  });

  it("bundles at start with a map file that puts stack traces at src/ lines, and leaves neither file behind", async () => {
    // As `npm run api` does (scripts/api.mjs): source maps on, then the bundle imported and its files removed.
    const script = `
      process.setSourceMapsEnabled(true);
      const { importBundled } = await import(${JSON.stringify(pathToFileURL(path.join(root, "scripts/api-bundle.mjs")).href)});
      const { loadCommonPasswords } = await importBundled(process.cwd(), "src/common-passwords.ts");
      try { loadCommonPasswords("/nonexistent/list.txt"); } catch (error) { console.log(error.stack); }
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: root });
    expect(stdout).toMatch(/at .*loadCommonPasswords \(.*[/\\]src[/\\]common-passwords\.ts:\d+:\d+\)/);
    const leftovers = readdirSync(path.join(cacheDir, "twofold")).filter((name) =>
      name.startsWith("common-passwords-"),
    );
    expect(leftovers).toEqual([]);
  });
});

describe("scripts/server.mjs", () => {
  it("`npm run serve` without a build refuses to start and says what to run, before it listens", async () => {
    const child = spawn(process.execPath, ["scripts/server.mjs"], {
      env: { ...process.env, NEXT_DIST_DIR: ".next-missing-build", PORT: "0", NODE_ENV: "test" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(output).toContain("run `npm run build` first");
    expect(output).not.toContain("ready on");
  });
});
