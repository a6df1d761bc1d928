CREATE TABLE "user_imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text,
	"fingerprint" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"lines" integer DEFAULT 0 NOT NULL,
	"stored" integer DEFAULT 0 NOT NULL,
	"taken" integer DEFAULT 0 NOT NULL,
	"invalid" integer DEFAULT 0 NOT NULL,
	"problems" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_imports_status_valid" CHECK ("user_imports"."status" in ('running', 'done', 'cancelled', 'failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "user_imports_idempotency_key" ON "user_imports" USING btree ("idempotency_key");--> statement-breakpoint
-- Written by hand after the generated part: the events of 0005 recorded once per statement instead of once per
-- row, from the statement's transition tables. An import inserts thousands of users in one statement: one INSERT
-- into user_events and one NOTIFY for all of them, instead of a trigger call, an INSERT and a NOTIFY each.
DROP TRIGGER "users_record_events" ON "users";
--> statement-breakpoint
DROP FUNCTION "user_events_record"();
--> statement-breakpoint
CREATE FUNCTION "user_events_record"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	recorded bigint;
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO "user_events" ("kind", "user_id", "name") SELECT 'added', "id", "name" FROM "added_rows";
	ELSIF TG_OP = 'UPDATE' THEN
		INSERT INTO "user_events" ("kind", "user_id", "name")
			SELECT 'renamed', "after"."id", "after"."name" FROM "after_rows" "after" JOIN "before_rows" "before" USING ("id")
			WHERE "after"."name" IS DISTINCT FROM "before"."name";
	ELSE
		INSERT INTO "user_events" ("kind", "user_id", "name") SELECT 'deleted', "id", "name" FROM "deleted_rows";
	END IF;
	GET DIAGNOSTICS recorded = ROW_COUNT;
	IF recorded > 0 THEN
		PERFORM pg_notify('user_events', currval(pg_get_serial_sequence('user_events', 'seq'))::text);
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "users_record_added" AFTER INSERT ON "users" REFERENCING NEW TABLE AS "added_rows" FOR EACH STATEMENT EXECUTE FUNCTION "user_events_record"();
--> statement-breakpoint
CREATE TRIGGER "users_record_renamed" AFTER UPDATE ON "users" REFERENCING OLD TABLE AS "before_rows" NEW TABLE AS "after_rows" FOR EACH STATEMENT EXECUTE FUNCTION "user_events_record"();
--> statement-breakpoint
CREATE TRIGGER "users_record_deleted" AFTER DELETE ON "users" REFERENCING OLD TABLE AS "deleted_rows" FOR EACH STATEMENT EXECUTE FUNCTION "user_events_record"();
