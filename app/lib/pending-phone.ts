import "server-only";
import { isTwofoldError, type PendingPhoneVerification, type TwofoldClient } from "@/src/client";

/** The number waiting for its code, if any: the API answers 404 when there is none (410 once it expired). */
export async function getPendingPhoneVerification(client: TwofoldClient): Promise<PendingPhoneVerification | null> {
  try {
    return await client.getPhoneVerification();
  } catch (error) {
    if (isTwofoldError(error) && (error.status === 404 || error.status === 410)) return null;
    throw error;
  }
}
