import { expect, it } from "vitest";
import { forEachServer, signedUpUser } from "../helpers/harness";

forEachServer("smoke", (ctx) => {
  it("signs up, verifies by link and reads the session", async () => {
    const { client, email } = await signedUpUser(ctx);
    const session = await client.get("/api/auth/session");
    expect(session.status).toBe(200);
    expect(session.body.user.email).toBe(email);
  });
});
