// Every /api/* request goes to the Hono app, unchanged; Next.js only hosts it next to the pages.
import { apiHost } from "@/app/lib/api-host";

// Node.js, not edge: the API uses argon2, PGlite/pg and node:crypto.
export const runtime = "nodejs";
// Sessions and rate limits make every answer request-specific; nothing here may be cached or prerendered.
export const dynamic = "force-dynamic";

const handle = async (req: Request) => (await apiHost()).handleApiRequest(req);

export const GET = handle;
export const POST = handle;
export const PUT = handle;
export const PATCH = handle;
export const DELETE = handle;
