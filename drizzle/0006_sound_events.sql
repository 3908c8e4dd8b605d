CREATE TABLE "sound_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sound_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"sound_id" uuid NOT NULL,
	"user_id" integer NOT NULL,
	"kind" text NOT NULL,
	"processing" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sound_events_kind_check" CHECK ("sound_events"."kind" in ('created', 'renamed', 'processing', 'updated', 'deleted'))
);
--> statement-breakpoint
CREATE INDEX "sound_events_created_idx" ON "sound_events" USING btree ("created_at");--> statement-breakpoint
-- Every change to what the listing shows becomes one row of sound_events, written by the
-- transaction that makes it: a sound listed (`created`: published, or restored), renamed, its
-- processing state changed, anything else shown changed (`updated`), or unlisted (`deleted`).
-- The same transaction announces it on `sound_events`, so every API replica hears it when, and
-- only if, it commits: it passes it on to the browsers listening (GET /events) and forgets the
-- reads it has cached. Uploads in progress, their heartbeats and the removal of rows already
-- being deleted change nothing listed and say nothing.
CREATE FUNCTION "record_sound_event"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  was_listed boolean := TG_OP <> 'INSERT' AND OLD.status = 'ready';
  is_listed boolean := TG_OP <> 'DELETE' AND NEW.status = 'ready';
  event_kind text;
  event sound_events;
BEGIN
  IF is_listed AND NOT was_listed THEN
    event_kind := 'created';
  ELSIF was_listed AND NOT is_listed THEN
    event_kind := 'deleted';
  ELSIF is_listed THEN
    IF NEW.title IS DISTINCT FROM OLD.title THEN
      event_kind := 'renamed';
    ELSIF NEW.processing IS DISTINCT FROM OLD.processing THEN
      event_kind := 'processing';
    ELSIF (to_jsonb(NEW) - 'updated_at') IS DISTINCT FROM (to_jsonb(OLD) - 'updated_at') THEN
      event_kind := 'updated';
    END IF;
  END IF;
  IF event_kind IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO sound_events (sound_id, user_id, kind, processing)
    VALUES (
      CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
      CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END,
      event_kind,
      CASE WHEN is_listed THEN NEW.processing END
    )
    RETURNING * INTO event;
  PERFORM pg_notify('sound_events', json_build_object(
    'id', event.id,
    'soundId', event.sound_id,
    'userId', event.user_id,
    'kind', event.kind,
    'processing', event.processing
  )::text);
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "sounds_events" AFTER INSERT OR UPDATE OR DELETE ON "sounds"
  FOR EACH ROW EXECUTE FUNCTION "record_sound_event"();--> statement-breakpoint
-- The events replace 0005's statement notices: one announcement per change is enough.
DROP TRIGGER "sounds_inserted_notice" ON "sounds";--> statement-breakpoint
DROP TRIGGER "sounds_updated_notice" ON "sounds";--> statement-breakpoint
DROP TRIGGER "sounds_deleted_notice" ON "sounds";--> statement-breakpoint
DROP FUNCTION "notify_sound_changes"();
