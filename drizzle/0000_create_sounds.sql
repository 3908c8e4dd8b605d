CREATE TABLE "sounds" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"title" text NOT NULL,
	"filename" text NOT NULL,
	"content_type" text NOT NULL,
	"size" bigint DEFAULT 0 NOT NULL,
	"duration_ms" integer,
	"storage_key" uuid NOT NULL,
	"status" text DEFAULT 'uploading' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sounds_storage_key_unique" UNIQUE("storage_key"),
	CONSTRAINT "sounds_status_check" CHECK ("sounds"."status" in ('uploading', 'ready', 'deleting'))
);
--> statement-breakpoint
CREATE INDEX "sounds_ready_newest_idx" ON "sounds" USING btree ("created_at","id") WHERE "sounds"."status" = 'ready';--> statement-breakpoint
CREATE INDEX "sounds_ready_user_newest_idx" ON "sounds" USING btree ("user_id","created_at","id") WHERE "sounds"."status" = 'ready';--> statement-breakpoint
CREATE INDEX "sounds_unfinished_idx" ON "sounds" USING btree ("status","updated_at") WHERE "sounds"."status" <> 'ready';