-- Every statement that changes what the listing shows (a row becoming, being or leaving
-- `ready`) tells each API replica listening on `sound_changes`, so that it forgets the reads it
-- has cached at once, whoever wrote: another replica, a worker, the reaper. Once per statement,
-- not per row (a bulk insert is one notice), and the notice goes out when the transaction
-- commits, never before. Heartbeats of uploads in progress (`uploading` rows) say nothing.
-- (One branch per operation: a trigger has only the transition tables its operation gives.)
CREATE FUNCTION "notify_sound_changes"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  listed boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    listed := EXISTS (SELECT 1 FROM new_rows WHERE status = 'ready');
  ELSIF TG_OP = 'DELETE' THEN
    listed := EXISTS (SELECT 1 FROM old_rows WHERE status = 'ready');
  ELSE
    listed := EXISTS (SELECT 1 FROM new_rows WHERE status = 'ready')
      OR EXISTS (SELECT 1 FROM old_rows WHERE status = 'ready');
  END IF;
  IF listed THEN
    PERFORM pg_notify('sound_changes', TG_OP);
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER "sounds_inserted_notice" AFTER INSERT ON "sounds"
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_sound_changes"();--> statement-breakpoint
CREATE TRIGGER "sounds_updated_notice" AFTER UPDATE ON "sounds"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_sound_changes"();--> statement-breakpoint
CREATE TRIGGER "sounds_deleted_notice" AFTER DELETE ON "sounds"
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "notify_sound_changes"();
