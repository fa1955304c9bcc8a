// What the Next.js pages and the /api route take from the API, as one module, and the pages' security headers that
// scripts/server.mjs sets. `npm start` and `npm run serve` load it bundled by esbuild, in scripts/server.mjs, before
// and beside `next build`, so Turbopack never compiles the API into the pages (about 4 s of every build); `npm run dev`
// compiles it with the pages, so edits reload (app/lib/api-host.ts).
export { devOutboxChannels } from "./config";
export { isLoopbackPeer } from "./http/middleware/client-ip";
export { securePageRequest } from "./http/security-headers";
export { getConfig, getServer, handleApiRequest, hostBindingsFromForwardedFor } from "./server";
