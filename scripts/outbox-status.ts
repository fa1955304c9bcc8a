// `npm run outbox:status`: what the outbox holds, for an operator. Counts per status, then the messages that
// failed or are still retrying, with the provider's last answer. Bodies stay sealed: they carry links.
import { and, desc, inArray, sql } from "drizzle-orm";
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/client";
import { outboxMessages } from "../src/db/schema";
import { maskEmail } from "../src/delivery/channel";

const config = loadConfig();
const database = await openDatabase({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  poolSize: config.databasePoolSize,
  migrationsDir: config.migrationsDir,
});
try {
  const counts = await database.db
    .select({ status: outboxMessages.status, count: sql<number>`count(*)::int` })
    .from(outboxMessages)
    .groupBy(outboxMessages.status);
  console.log("Outbox:", counts.map((c) => `${c.status} ${c.count}`).join(", ") || "empty");

  const troubled = await database.db
    .select()
    .from(outboxMessages)
    .where(and(inArray(outboxMessages.status, ["failed", "pending"]), sql`${outboxMessages.lastError} is not null`))
    .orderBy(desc(outboxMessages.createdAt))
    .limit(50);
  for (const m of troubled) {
    const when = m.status === "failed" ? "gave up" : `next try ${m.nextAttemptAt.toISOString()}`;
    console.log(
      `\n${m.id}  ${m.status}  ${m.channel}/${m.template}  to ${maskEmail(m.recipient)}  attempts ${m.attempts}  ${when}`,
    );
    console.log(`  created ${m.createdAt.toISOString()}  last error: ${m.lastError}`);
  }
} finally {
  await database.close();
}
