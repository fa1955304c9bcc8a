#!/usr/bin/env node
// `npm start`: the app and API on one port with no configuration. It runs `next dev`, because
// `next start` forces NODE_ENV=production, where the server rightly refuses to run without SECRET and SMTP.
// Production: `npm run build && npm run serve` with the variables from the README.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const nextBin = require.resolve("next/dist/bin/next");
const port = process.env.PORT || "3000";
const appUrl = process.env.APP_URL || `http://localhost:${port}`;

console.log(`Twofold (development) starting on ${appUrl}`);
console.log(`dev inbox: ${appUrl}/dev/inbox`);

const child = spawn(process.execPath, [nextBin, "dev", "--port", port], { stdio: "inherit", env: process.env });

// Forward Ctrl-C / kill so the dev server releases its lock and the database closes cleanly.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
