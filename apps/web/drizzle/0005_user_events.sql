CREATE TABLE "user_events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "user_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "user_events_at_idx" ON "user_events" USING btree ("at");--> statement-breakpoint
-- Written by hand after the generated part: each change to users, recorded in its own transaction, and the
-- channel user_events told its seq when that transaction commits (instances LISTEN to it: server/users/feed.ts).
CREATE FUNCTION "user_events_record"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	recorded bigint;
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO "user_events" ("kind", "user_id", "name") VALUES ('added', NEW."id", NEW."name") RETURNING "seq" INTO recorded;
	ELSIF TG_OP = 'UPDATE' THEN
		IF NEW."name" IS DISTINCT FROM OLD."name" THEN
			INSERT INTO "user_events" ("kind", "user_id", "name") VALUES ('renamed', NEW."id", NEW."name") RETURNING "seq" INTO recorded;
		END IF;
	ELSE
		INSERT INTO "user_events" ("kind", "user_id", "name") VALUES ('deleted', OLD."id", OLD."name") RETURNING "seq" INTO recorded;
	END IF;
	IF recorded IS NOT NULL THEN
		PERFORM pg_notify('user_events', recorded::text);
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "users_record_events" AFTER INSERT OR UPDATE OF "name" OR DELETE ON "users" FOR EACH ROW EXECUTE FUNCTION "user_events_record"();
