-- Search reads a stored tsvector instead of parsing search_text again for every row a query
-- passes: on a million sounds, a rare word searched newest-first went from 4.7 s to 0.15 s.
DROP INDEX "sounds_ready_search_idx";--> statement-breakpoint
ALTER TABLE "sounds" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;--> statement-breakpoint
CREATE INDEX "sounds_ready_search_idx" ON "sounds" USING gin ("search_vector") WHERE "sounds"."status" = 'ready';