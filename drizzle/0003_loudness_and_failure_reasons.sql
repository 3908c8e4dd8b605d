ALTER TABLE "sounds" ADD COLUMN "loudness_lufs" real;--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "true_peak_dbtp" real;--> statement-breakpoint
-- Reasons from before the stable list (ffmpeg's own words, with addresses) are not shown again.
UPDATE "sounds" SET "processing_error" = 'internal' WHERE "processing_error" IS NOT NULL;--> statement-breakpoint
-- Backfill: every processed sound is processed once more for its loudness (it keeps playing its
-- current derivatives until the new ones replace them), and every failed one gets another try
-- with the decoder as judge.
UPDATE "sounds" SET "processing" = 'pending', "processing_error" = NULL
  WHERE "status" = 'ready' AND "processing" = 'failed';--> statement-breakpoint
INSERT INTO "processing_jobs" ("sound_id")
  SELECT "id" FROM "sounds" WHERE "status" = 'ready' AND "loudness_lufs" IS NULL
  ON CONFLICT DO NOTHING;
