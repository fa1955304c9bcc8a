import type { NextConfig } from "next";

// Pages that receive one-time tokens. The token sits in the URL fragment (never sent anywhere), and
// `no-referrer` is the second belt: nothing about these URLs leaks to any link followed from the page.
const tokenPages = ["/verify-email", "/reset-password", "/confirm-email"];

const nextConfig: NextConfig = {
  // Native addons, WASM and dynamic requires that bundlers break; Node loads them from node_modules.
  serverExternalPackages: ["@electric-sql/pglite", "@node-rs/argon2", "pg", "pino", "nodemailer", "ioredis", "rate-limiter-flexible"],
  poweredByHeader: false,
  // Lets a second dev server (tests, screenshots) run beside `npm start`: `next dev` locks its dist dir.
  // Use a sibling such as `.next-e2e`, not a folder inside `.next`: Turbopack would watch its logs and reload forever.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  async headers() {
    // Later entries override earlier ones for the same header, so the general rule comes first.
    return [
      {
        source: "/:path*",
        headers: [
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          // Clickjacking: nobody frames a sign-in form legitimately.
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
        ],
      },
      ...tokenPages.map((source) => ({ source, headers: [{ key: "Referrer-Policy", value: "no-referrer" }] })),
    ];
  },
};

export default nextConfig;
