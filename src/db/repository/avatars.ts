import { eq, sql } from "drizzle-orm";
import type { AvatarStore } from "../../core/repository";
import type { Database } from "../client";
import { avatars, users } from "../schema";
import { updateUser } from "./users";

export function avatarStore(db: Database): AvatarStore {
  return {
    async setAvatar(userId, contentType, bytes) {
      await db
        .insert(avatars)
        .values({ userId, contentType, bytes })
        .onConflictDoUpdate({ target: avatars.userId, set: { contentType, bytes, updatedAt: sql`now()` } });
      return updateUser(db, userId, { avatarVersion: sql`abs(${users.avatarVersion}) + 1` });
    },
    async deleteAvatar(userId) {
      await db.delete(avatars).where(eq(avatars.userId, userId));
      // Negative = no avatar; the next upload continues from the old number so cached URLs never repeat.
      return updateUser(db, userId, { avatarVersion: sql`-abs(${users.avatarVersion})` });
    },
    async getAvatar(userId) {
      const [row] = await db
        .select({ contentType: avatars.contentType, bytes: avatars.bytes, version: users.avatarVersion })
        .from(avatars)
        .innerJoin(users, eq(users.id, avatars.userId))
        .where(eq(avatars.userId, userId));
      return row ?? null;
    },
  };
}
