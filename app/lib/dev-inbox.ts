import "server-only";
import { headers } from "next/headers";
import type { DevChannel } from "@/src/config";
import { apiHost } from "./api-host";

/**
 * The dev channels this browser may read at /dev/inbox, or null when the page does not exist for it: the same
 * rule as GET /api/dev/outbox (src/http/routes/ops.ts), which the page polls. Only channels without a real
 * provider, whatever NODE_ENV says, and only for a browser on this machine (the TCP peer that
 * scripts/server.mjs appends to X-Forwarded-For, never a hop the client wrote).
 */
export async function devInboxChannels(): Promise<DevChannel[] | null> {
  const { getConfig, devOutboxChannels, hostBindingsFromForwardedFor, isLoopbackPeer } = await apiHost();
  // The configuration only, not the server: the layout asks on every page, and a page needs no database to render.
  const channels = devOutboxChannels(getConfig());
  if (channels.length === 0) return null;
  const peer = hostBindingsFromForwardedFor((await headers()).get("x-forwarded-for"));
  return isLoopbackPeer(peer) ? channels : null;
}

/** Whether this browser can read the emails the server sends at /dev/inbox (the "check your email" pages' hint). */
export async function emailInDevInbox(): Promise<boolean> {
  const channels = await devInboxChannels().catch(() => null);
  return channels?.includes("email") ?? false;
}
