CREATE TABLE "processing_jobs" (
	"sound_id" uuid PRIMARY KEY NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"run_after" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp (3) with time zone,
	"lease_token" uuid,
	"stream_key" uuid,
	"waveform_key" uuid,
	"last_error" text
);
--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "search_text" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "processing" text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "processing_error" text;--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "stream_key" uuid;--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "stream_content_type" text;--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "stream_size" bigint;--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "waveform_key" uuid;--> statement-breakpoint
ALTER TABLE "processing_jobs" ADD CONSTRAINT "processing_jobs_sound_id_sounds_id_fk" FOREIGN KEY ("sound_id") REFERENCES "public"."sounds"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "processing_jobs_due_idx" ON "processing_jobs" USING btree ("run_after");--> statement-breakpoint
CREATE INDEX "sounds_ready_search_idx" ON "sounds" USING gin (to_tsvector('simple', "search_text")) WHERE "sounds"."status" = 'ready';--> statement-breakpoint
ALTER TABLE "sounds" ADD CONSTRAINT "sounds_waveform_key_unique" UNIQUE("waveform_key");--> statement-breakpoint
ALTER TABLE "sounds" ADD CONSTRAINT "sounds_processing_check" CHECK ("sounds"."processing" in ('pending', 'ready', 'failed'));--> statement-breakpoint
-- Backfill: sounds uploaded before processing existed get their job, and their search text
-- (as sounds/search-text.ts writes it: accents removed, lower case, words split on anything
-- that is neither letter nor digit).
INSERT INTO "processing_jobs" ("sound_id") SELECT "id" FROM "sounds" WHERE "status" = 'ready';--> statement-breakpoint
UPDATE "sounds" SET "search_text" = trim(lower(regexp_replace(
  translate("title" || ' ' || "filename",
    'àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőŕřśšşťùúûüūůűųýÿźżžÀÁÂÃÄÅĀĂĄÇĆČĎÈÉÊËĒĖĘĚÌÍÎÏĪĮŁÑŃŇÒÓÔÕÖØŌŐŔŘŚŠŞŤÙÚÛÜŪŮŰŲÝŸŹŻŽ',
    'aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooorrssstuuuuuuuuyyzzzAAAAAAAAACCCDEEEEEEEEIIIIIILNNNOOOOOOOORRSSSTUUUUUUUUYYZZZ'),
  '[^[:alnum:]]+', ' ', 'g')));
