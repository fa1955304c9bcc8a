import type { Hook } from "@hono/zod-openapi";
import type { AppEnv } from "./env";
import { errorResponse } from "./errors";

/** Schema failures become 400 invalid_request with a message per field, never zod's raw output. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.map(String).join(".") || "body";
    // Own keys only: a path segment named "constructor" must not find Object.prototype's.
    if (!Object.hasOwn(fields, key))
      fields[key] =
        issue.code === "invalid_type" && issue.input === undefined ? "This field is required." : issue.message;
  }
  return errorResponse(c, "invalid_request", "Some fields are missing or invalid.", { fields });
};
