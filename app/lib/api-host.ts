import "server-only";

type ApiHost = typeof import("@/src/next-host");

// Set by scripts/server.mjs, which bundles and loads src/next-host.ts itself (scripts/api-bundle.mjs says why).
const hostKey = Symbol.for("twofold.apiHost");

/** The API, as the pages and the /api route reach it: one instance per process, whichever bundle asks. */
export function apiHost(): Promise<ApiHost> {
  const loaded = (globalThis as { [hostKey]?: Promise<ApiHost> })[hostKey];
  if (loaded) return loaded;
  // `next dev` compiles the API with the pages, so an edit to src/ reloads. A build leaves this branch out: Next
  // inlines NODE_ENV there, and Turbopack drops the import with the dead code.
  if (process.env.NODE_ENV === "development") return import("@/src/next-host");
  return Promise.reject(
    new Error("The API was not loaded: serve the pages through scripts/server.mjs (npm start, npm run serve)."),
  );
}
