import "server-only";
import { cache } from "react";
import { cookies, headers } from "next/headers";
import { handleApiRequest } from "@/src/server";
import { createTwofoldClient, isTwofoldError, type Session, type TwofoldClient, type User } from "@/src/client";

// Both spellings: `__Host-` over https, plain over http (API.md, "Auth").
const sessionCookieNames = ["__Host-twofold_session", "twofold_session"];

/**
 * A client that calls the API in-process, as the browser would: same cookie, same user agent, same
 * forwarded address. No network hop, and the API stays the one place that decides who is signed in.
 */
export async function getServerClient(): Promise<TwofoldClient> {
  const incoming = await headers();
  const forwarded = new Headers();
  for (const name of ["cookie", "user-agent", "x-forwarded-for", "x-real-ip"]) {
    const value = incoming.get(name);
    if (value) forwarded.set(name, value);
  }
  const proto = incoming.get("x-forwarded-proto")?.split(",")[0]?.trim() || "http";
  const host = incoming.get("host") || "localhost";
  return createTwofoldClient({
    baseUrl: `${proto}://${host}`,
    headers: forwarded,
    fetch: async (input, init) => handleApiRequest(new Request(input, init)),
  });
}

/** The signed-in user and session, or null. Cached per request: the layout and the page both ask. */
export const getCurrentSession = cache(async (): Promise<{ user: User; session: Session } | null> => {
  const jar = await cookies();
  // No cookie, no question: skips a database round trip for every anonymous page view.
  if (!sessionCookieNames.some((name) => jar.has(name))) return null;
  // The raw Cookie header goes to the API, which alone decides: two session cookies (one tossed by another page
  // or subdomain) are nobody, and nothing is cleared (src/http/middleware/session.ts). Do not pick one here:
  // `cookies()` keeps only one value per name.
  try {
    return await (await getServerClient()).getSession();
  } catch (error) {
    if (isTwofoldError(error, "unauthenticated") || (isTwofoldError(error) && error.status === 401)) return null;
    throw error;
  }
});

export async function getCurrentUser(): Promise<User | null> {
  return (await getCurrentSession())?.user ?? null;
}
