import { createTwofoldClient } from "@/src/client";

/** The browser's client: same origin, so the session cookie rides along and CSRF's Origin check passes. */
export const api = createTwofoldClient();
