import { desc, eq } from "drizzle-orm";
import type { SecurityEventStore } from "../../core/repository";
import { randomId } from "../../core/crypto";
import type { Database } from "../client";
import { securityEvents } from "../schema";

export function securityEventStore(db: Database): SecurityEventStore {
  return {
    async recordEvent(event) {
      await db.insert(securityEvents).values({ id: randomId(), ...event });
    },
    async listEvents(userId, limit) {
      return db
        .select({
          type: securityEvents.type,
          createdAt: securityEvents.createdAt,
          ip: securityEvents.ip,
          userAgent: securityEvents.userAgent,
        })
        .from(securityEvents)
        .where(eq(securityEvents.userId, userId))
        .orderBy(desc(securityEvents.createdAt))
        .limit(limit) as Promise<Awaited<ReturnType<SecurityEventStore["listEvents"]>>>;
    },
  };
}
