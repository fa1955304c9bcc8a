import { Secret, TOTP } from "otpauth";
import type { ServerContext, TestClient } from "./harness";

/** The code an authenticator app shows for `secret` at the server's clock now, or `offsetSteps` steps away. */
export function totpCode(ctx: ServerContext, secret: string, offsetSteps = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 });
  return totp.generate({ timestamp: ctx.clock.now().getTime() + offsetSteps * 30_000 });
}

/** Sets up an authenticator app for a signed-in client with the password; returns its secret and what confirm said. */
export async function enrolTotp(ctx: ServerContext, client: TestClient, password: string) {
  const setup = await client.post("/api/account/two-factor/totp/setup", { currentPassword: password });
  if (setup.status !== 200) throw new Error(`totp setup failed: ${setup.status} ${setup.text}`);
  const secret = setup.body.secret as string;
  const confirm = await client.post("/api/account/two-factor/totp/confirm", { code: totpCode(ctx, secret) });
  if (confirm.status !== 200) throw new Error(`totp confirm failed: ${confirm.status} ${confirm.text}`);
  return { secret, otpauthUri: setup.body.otpauthUri as string, recoveryCodes: confirm.body.recoveryCodes as string[] };
}
