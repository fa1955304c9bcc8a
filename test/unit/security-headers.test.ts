import { afterEach, describe, expect, it, vi } from "vitest";
import {
  apiCsp,
  createNonce,
  docsCsp,
  isPagePath,
  pageCsp,
  pageHeaders,
  permissionsPolicy,
  securePageRequest,
  strictTransportSecurity,
  tokenPages,
} from "../../src/http/security-headers";

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp.split(";").map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

/** What every document policy must say, in any mode. */
function expectDocumentBasics(csp: string) {
  const parsed = directives(csp);
  expect(parsed.get("frame-ancestors")).toEqual(["'none'"]);
  expect(parsed.get("object-src")).toEqual(["'none'"]);
  expect(parsed.get("base-uri")).toEqual(["'none'"]);
  expect(parsed.get("form-action")).toEqual(["'self'"]);
  expect(parsed.get("script-src")).not.toContain("'unsafe-inline'");
  expect(parsed.get("script-src")).not.toContain("*");
  expect(parsed.get("script-src")?.some((source) => /^(https?:|data:|blob:)$/.test(source))).toBe(false);
}

describe("nonces", () => {
  it("are 128 random bits in base64, different on every call, in the form Next.js extracts", () => {
    const nonces = Array.from({ length: 1000 }, createNonce);
    expect(new Set(nonces).size).toBe(nonces.length);
    for (const nonce of nonces.slice(0, 20)) {
      expect(Buffer.from(nonce, "base64")).toHaveLength(16);
      // next/dist/server/app-render/get-script-nonce-from-header.js accepts exactly this alphabet.
      expect(nonce).toMatch(/^[A-Za-z0-9+/_-]+={0,2}$/);
    }
  });
});

describe("page CSP", () => {
  it("production: the nonce and 'strict-dynamic' for scripts, no 'unsafe-eval', no inline scripts, no websocket", () => {
    const csp = pageCsp({ nonce: "abc123==", mode: "production" });
    const parsed = directives(csp);
    expectDocumentBasics(csp);
    expect(parsed.get("script-src")).toEqual(["'self'", "'nonce-abc123=='", "'strict-dynamic'"]);
    expect(csp).not.toContain("unsafe-eval");
    // Style elements need the nonce too; only style attributes may be inline.
    expect(parsed.get("style-src")).toEqual(["'self'", "'nonce-abc123=='"]);
    expect(parsed.get("style-src-attr")).toEqual(["'unsafe-inline'"]);
    expect(parsed.get("img-src")).toEqual(["'self'", "data:", "blob:"]);
    expect(parsed.get("connect-src")).toEqual(["'self'"]);
    expect(parsed.get("default-src")).toEqual(["'self'"]);
    expect(parsed.has("upgrade-insecure-requests")).toBe(false);
  });

  it("production over https upgrades stray http:// subresources", () => {
    expect(
      directives(pageCsp({ nonce: "n", mode: "production", https: true })).get("upgrade-insecure-requests"),
    ).toEqual([]);
  });

  it("development adds only what the dev tooling needs: 'unsafe-eval', inline styles and the HMR socket", () => {
    const csp = pageCsp({ nonce: "n0nce", mode: "development", devOrigin: "http://localhost:3000" });
    const parsed = directives(csp);
    expectDocumentBasics(csp);
    expect(parsed.get("script-src")).toEqual(["'self'", "'nonce-n0nce'", "'strict-dynamic'", "'unsafe-eval'"]);
    expect(parsed.get("style-src")).toEqual(["'self'", "'unsafe-inline'"]);
    expect(parsed.get("connect-src")).toEqual(["'self'", "ws://localhost:3000"]);
    expect(
      directives(pageCsp({ nonce: "n", mode: "development", devOrigin: "https://dev.example.com" })).get("connect-src"),
    ).toContain("wss://dev.example.com");
  });
});

describe("API and docs CSP", () => {
  it("JSON may load, run and frame nothing", () => {
    expect(apiCsp).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("the docs page runs only its nonced scripts and our own bundle, never eval or inline scripts", () => {
    const csp = docsCsp("d0cs");
    expectDocumentBasics(csp);
    const parsed = directives(csp);
    expect(parsed.get("default-src")).toEqual(["'none'"]);
    expect(parsed.get("script-src")).toEqual(["'self'", "'nonce-d0cs'"]);
    expect(parsed.get("connect-src")).toEqual(["'self'"]);
    expect(csp).not.toContain("unsafe-eval");
  });
});

describe("page headers", () => {
  const base = { nonce: "n", mode: "production" as const };

  it("send HSTS only when APP_URL is https", () => {
    expect(pageHeaders({ ...base, pathname: "/sign-in", https: true })["Strict-Transport-Security"]).toBe(
      strictTransportSecurity,
    );
    expect(strictTransportSecurity).toBe("max-age=63072000; includeSubDomains");
    expect(pageHeaders({ ...base, pathname: "/sign-in", https: false })).not.toHaveProperty(
      "Strict-Transport-Security",
    );
  });

  it("keep pages out of shared caches and token pages' URLs out of Referer", () => {
    const signIn = pageHeaders({ ...base, pathname: "/sign-in", https: false });
    expect(signIn["Cache-Control"]).toBe("private, no-store");
    expect(signIn["Referrer-Policy"]).toBe("strict-origin-when-cross-origin");
    for (const pathname of tokenPages)
      expect(pageHeaders({ ...base, pathname, https: false })["Referrer-Policy"]).toBe("no-referrer");
  });

  it("deny powerful features but keep WebOTP for our own code pages", () => {
    const features = new Map(permissionsPolicy.split(", ").map((entry) => entry.split("=") as [string, string]));
    expect(features.get("otp-credentials")).toBe("(self)");
    for (const denied of ["camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "display-capture"])
      expect(features.get(denied), denied).toBe("()");
    const headers = pageHeaders({ ...base, pathname: "/", https: false });
    expect(headers).toMatchObject({
      "X-Content-Type-Options": "nosniff",
      "X-Frame-Options": "DENY",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Permissions-Policy": permissionsPolicy,
    });
  });
});

describe("securePageRequest (scripts/server.mjs, before Next.js renders a page)", () => {
  /** The response headers set, and the request headers Next.js will render the page with. */
  function run(url: string, options: Parameters<typeof securePageRequest>[2], sent: Record<string, string> = {}) {
    const request = { url, headers: { host: "localhost:3000", ...sent } as Record<string, string | undefined> };
    const set = new Map<string, string>();
    const isPage = securePageRequest(
      request,
      { setHeader: (name, value) => set.set(name.toLowerCase(), value) },
      options,
    );
    const csp = set.get("content-security-policy");
    return { isPage, set, csp, requestCsp: request.headers["content-security-policy"], request };
  }
  const production = { mode: "production", appUrl: "http://localhost:3000" } as const;

  it("hands Next.js the same nonce it puts in the response's policy, a new one per request", () => {
    const first = run("/sign-in?next=%2Fprofile", production);
    const second = run("/sign-in", production);
    const nonces = [first, second].map(({ isPage, csp, requestCsp }) => {
      expect(isPage).toBe(true);
      expect(requestCsp).toBe(csp);
      expect(csp).not.toContain("unsafe-eval");
      expectDocumentBasics(csp!);
      return /'nonce-([^']+)'/.exec(csp!)?.[1];
    });
    expect(nonces[0]).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(nonces[0]).not.toBe(nonces[1]);
    expect(first.set.get("strict-transport-security")).toBeUndefined();
    expect(first.set.get("cache-control")).toBe("private, no-store");
    expect(first.set.get("x-frame-options")).toBe("DENY");
  });

  it("replaces a policy the client sent: it cannot choose the nonce", () => {
    const { requestCsp, csp, request } = run("/", production, {
      "content-security-policy": "script-src 'nonce-chosen-by-client'",
      "content-security-policy-report-only": "script-src 'nonce-chosen-by-client'",
    });
    expect(requestCsp).toBe(csp);
    expect(requestCsp).not.toContain("chosen-by-client");
    expect(request.headers["content-security-policy-report-only"]).toBeUndefined();
  });

  it("uses the development policy under `next dev` and HSTS with an https APP_URL", () => {
    const { set, csp } = run("/reset-password", {
      mode: "development",
      appUrl: "https://auth.example.com",
      devOrigin: "https://auth.example.com",
    });
    expect(csp).toContain("'unsafe-eval'");
    expect(directives(csp!).get("connect-src")).toContain("wss://auth.example.com");
    expect(set.get("strict-transport-security")).toBe(strictTransportSecurity);
    expect(set.get("referrer-policy")).toBe("no-referrer");
  });

  it("leaves the API, Next's build output and the icon alone (they have their own headers)", () => {
    for (const url of ["/api", "/api/auth/session", "/api/docs?x=1", "/_next/static/chunks/a.js", "/icon.svg"]) {
      const { isPage, set, requestCsp } = run(url, production, { "content-security-policy": "kept" });
      expect(isPage, url).toBe(false);
      expect(set.size, url).toBe(0);
      expect(requestCsp, url).toBe("kept");
    }
    for (const page of ["/", "/apis", "/api-docs", "/profile/security", "/no-such-page", "/icon.svg.html", "/_nextx"])
      expect(isPagePath(page), page).toBe(true);
  });

  it("gives a page its headers however the path reaches it: Next.js resolves dot segments, encoded or not", () => {
    for (const url of [
      "/api/../sign-in",
      "/_next/../sign-in",
      "/api/%2e%2e/sign-in",
      "/_next/%2E%2E/profile",
      "/api/.%2e/sign-in",
      "/api/./../sign-in",
      "/api\\..\\sign-in",
      "//api/x",
      "/icon.svg/../sign-in",
    ]) {
      const { isPage, csp, requestCsp } = run(url, production, { "content-security-policy": "script-src 'nonce-x'" });
      expect(isPage, url).toBe(true);
      expect(requestCsp, url).toBe(csp);
      expect(csp, url).toMatch(/'nonce-[A-Za-z0-9+/]{22}=='/);
    }
  });
});

describe("next.config.ts headers (what securePageRequest skips: /_next assets, the icon)", () => {
  afterEach(() => vi.unstubAllEnvs());

  async function rules() {
    const { default: nextConfig } = await import("../../next.config");
    const list = await nextConfig.headers!();
    return (source: string) =>
      Object.fromEntries(
        list.filter((rule) => rule.source === source).flatMap((rule) => rule.headers.map((h) => [h.key, h.value])),
      );
  }

  it("sends the common headers everywhere and a CSP with frame-ancestors 'none' on assets", async () => {
    const of = await rules();
    expect(of("/:path*")).toMatchObject({
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
      "Permissions-Policy": permissionsPolicy,
    });
    expect(of("/:path*")["Strict-Transport-Security"]).toBeUndefined();
    for (const asset of ["/_next/:path*", "/icon.svg"])
      expect(directives(of(asset)["Content-Security-Policy"]!).get("frame-ancestors")).toEqual(["'none'"]);
  });

  it("adds HSTS when the build's APP_URL is https", async () => {
    vi.stubEnv("APP_URL", "https://auth.example.com");
    const of = await rules();
    expect(of("/:path*")["Strict-Transport-Security"]).toBe(strictTransportSecurity);
  });
});
