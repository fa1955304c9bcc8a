import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import { launchEnv } from "../../src/server";

const launchEnvKey = Symbol.for("twofold.launchEnv");
const holder = globalThis as { [launchEnvKey]?: NodeJS.ProcessEnv };

afterEach(() => {
  delete holder[launchEnvKey];
  vi.unstubAllEnvs();
});

// `npm start` serves a build of the pages; Next then sets NODE_ENV=production in process.env. The API must read
// the environment as the user launched it, or `npm start` becomes a production server without SMTP or Twilio.
describe("launchEnv", () => {
  it("is the environment scripts/server.mjs kept at launch, whatever Next did to process.env since", () => {
    // A SECRET given, so that reading the configuration writes no secret file.
    const launched = { SECRET: "k".repeat(48) } as unknown as NodeJS.ProcessEnv;
    holder[launchEnvKey] = launched;
    vi.stubEnv("NODE_ENV", "production");
    expect(launchEnv()).toBe(launched);
    const config = loadConfig(launchEnv());
    expect(config.production).toBe(false);
    expect(config.devOutbox).toEqual({ email: true, sms: true });
  });

  it("is process.env under any other host (npm run api, tests, next dev without the script)", () => {
    expect(launchEnv()).toBe(process.env);
  });
});
