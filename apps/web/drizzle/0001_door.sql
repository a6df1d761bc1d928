-- One word per idea: the column says which door a user came through, 'action' or 'route' (was source: 'api').
ALTER TABLE "users" DROP CONSTRAINT "users_source_valid";--> statement-breakpoint
ALTER TABLE "users" RENAME COLUMN "source" TO "door";--> statement-breakpoint
UPDATE "users" SET "door" = 'route' WHERE "door" = 'api';--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_door_valid" CHECK ("users"."door" in ('action', 'route'));
