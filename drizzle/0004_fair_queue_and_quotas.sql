CREATE TABLE "processing_turns" (
	"user_id" integer PRIMARY KEY NOT NULL,
	"last_claimed_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "audio" jsonb;--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "waveform_size" bigint;