// The build the browser tests are served from, as `npm run build` makes it (test/e2e/global-setup.ts): the pages, and
// beside them the API in one esbuild bundle. `next build` compiling the API into the pages cost 3 to 5 s of every
// build, most of what a first `npm start` waits for (scripts/api-bundle.mjs).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

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
