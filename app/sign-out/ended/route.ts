import { fetchSessionAnswer } from "@/app/lib/session";

/**
 * Where a page sends a browser whose session cookie the API refused (app/lib/guards.ts): the API's own answer to
 * `GET /api/auth/session` clears the one dead cookie it found (src/http/middleware/session.ts), and this relays
 * that Set-Cookie with the way on to the sign-in page and its "You were signed out". A GET is safe here: it asks
 * the API and changes nothing the API would not on any request; a working session is sent back to its profile.
 */
export async function GET(): Promise<Response> {
  const answer = await fetchSessionAnswer();
  await answer.arrayBuffer().catch(() => undefined);
  const target = answer.ok ? "/profile" : answer.status === 401 ? "/sign-in?notice=session-ended" : "/sign-in";
  // 303 with a relative Location (RFC 9110): the browser resolves it against the address it asked for.
  const response = new Response(null, { status: 303, headers: { location: target, "cache-control": "no-store" } });
  for (const cookie of answer.headers.getSetCookie()) response.headers.append("set-cookie", cookie);
  return response;
}
