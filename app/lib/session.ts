import "server-only";
import { cache } from "react";
import { cookies, headers } from "next/headers";
import { apiHost } from "./api-host";
import { createTwofoldClient, isTwofoldError, type Session, type TwofoldClient, type User } from "@/src/client";

// Both spellings: `__Host-` over https, plain over http (API.md, "Auth").
const sessionCookieNames = ["__Host-twofold_session", "twofold_session"];

/** The request's headers the API should see, as the browser sent them: cookie, user agent, forwarded address. */
async function forwardedHeaders(): Promise<{ headers: Headers; origin: string }> {
  const incoming = await headers();
  const forwarded = new Headers();
  for (const name of ["cookie", "user-agent", "x-forwarded-for", "x-real-ip"]) {
    const value = incoming.get(name);
    if (value) forwarded.set(name, value);
  }
  const proto = incoming.get("x-forwarded-proto")?.split(",")[0]?.trim() || "http";
  const host = incoming.get("host") || "localhost";
  return { headers: forwarded, origin: `${proto}://${host}` };
}

/**
 * A client that calls the API in-process, as the browser would: same cookie, same user agent, same
 * forwarded address. No network hop, and the API stays the one place that decides who is signed in.
 */
export async function getServerClient(): Promise<TwofoldClient> {
  const { headers, origin } = await forwardedHeaders();
  return createTwofoldClient({
    baseUrl: origin,
    headers,
    fetch: async (input, init) => (await apiHost()).handleApiRequest(new Request(input, init)),
  });
}

/**
 * `GET /api/auth/session` in-process, answered as is (Set-Cookie included): for a route handler that relays the
 * API's clearing of a dead session cookie to the browser.
 */
export async function fetchSessionAnswer(): Promise<Response> {
  const { headers, origin } = await forwardedHeaders();
  return (await apiHost()).handleApiRequest(new Request(`${origin}/api/auth/session`, { headers }));
}

/**
 * Where this request stands: no session cookie at all, a session, or a cookie the API refused (the session was
 * signed out elsewhere, revoked by a password change, or expired). Cached per request: the layout and the page ask.
 */
export const getSessionState = cache(
  async (): Promise<{ kind: "none" } | { kind: "rejected" } | { kind: "signed-in"; user: User; session: Session }> => {
    const jar = await cookies();
    // No cookie, no question: skips a database round trip for every anonymous page view.
    if (!sessionCookieNames.some((name) => jar.has(name))) return { kind: "none" };
    // The raw Cookie header goes to the API, which alone decides: two session cookies (one tossed by another page
    // or subdomain) are nobody, and nothing is cleared (src/http/middleware/session.ts). Do not pick one here:
    // `cookies()` keeps only one value per name.
    try {
      return { kind: "signed-in", ...(await (await getServerClient()).getSession()) };
    } catch (error) {
      if (isTwofoldError(error, "unauthenticated") || (isTwofoldError(error) && error.status === 401))
        return { kind: "rejected" };
      throw error;
    }
  },
);

/** The signed-in user and session, or null. */
export async function getCurrentSession(): Promise<{ user: User; session: Session } | null> {
  const state = await getSessionState();
  return state.kind === "signed-in" ? { user: state.user, session: state.session } : null;
}

export async function getCurrentUser(): Promise<User | null> {
  return (await getCurrentSession())?.user ?? null;
}
