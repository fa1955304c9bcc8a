ALTER TABLE "outbox_messages" ADD COLUMN "delivery_status" text;--> statement-breakpoint
ALTER TABLE "outbox_messages" ADD COLUMN "delivery_error_code" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "code_entry_blocked_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "outbox_messages_provider_id_idx" ON "outbox_messages" USING btree ("provider_message_id");