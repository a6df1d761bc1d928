CREATE TABLE "avatars" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"etag" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"image" "bytea",
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "avatar_etag" text;--> statement-breakpoint
ALTER TABLE "avatars" ADD CONSTRAINT "avatars_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;