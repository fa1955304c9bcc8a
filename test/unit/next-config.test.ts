import { afterEach, describe, expect, it, vi } from "vitest";

// `npm start` builds the pages for this machine (scripts/server.mjs sets TWOFOLD_LOCAL_BUILD=1) and leaves out what
// only a deployment or a code change needs: together 3 to 4 s of a 2-core first start (README "Start-up and memory").
describe("next.config.ts: the build npm start makes", () => {
  afterEach(() => vi.unstubAllEnvs());

  // Read at import: a fresh module for each environment.
  const load = async () => {
    vi.resetModules();
    return (await import("../../next.config")).default;
  };

  it("skips the type check, the compiler's disk cache, server source maps and minification", async () => {
    vi.stubEnv("TWOFOLD_LOCAL_BUILD", "1");
    const config = await load();
    expect(config.typescript?.ignoreBuildErrors).toBe(true);
    expect(config.experimental).toEqual({
      turbopackFileSystemCacheForBuild: false,
      turbopackSourceMaps: false,
      turbopackMinify: false,
    });
  });

  it("leaves every other build (npm run build, the browser tests) as Next makes it", async () => {
    vi.stubEnv("TWOFOLD_LOCAL_BUILD", "");
    const config = await load();
    expect(config.typescript?.ignoreBuildErrors).toBe(false);
    expect(config.experimental).toBeUndefined();
  });
});
