// Every /api/* request goes to the Hono app, unchanged; Next.js only hosts it next to the pages.
import { handleApiRequest } from "@/src/server";

// Node.js, not edge: the API uses argon2, PGlite/pg and node:crypto.
export const runtime = "nodejs";
// Sessions and rate limits make every answer request-specific; nothing here may be cached or prerendered.
export const dynamic = "force-dynamic";

const handle = (req: Request) => handleApiRequest(req);

export const GET = handle;
export const POST = handle;
export const PUT = handle;
export const PATCH = handle;
export const DELETE = handle;
