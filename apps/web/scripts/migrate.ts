// npm run db:migrate: applies the committed migrations to DATABASE_URL, or to PGlite in DATA_DIR.
import { configFromEnv, openDatabase } from '../server/db/client'

const database = await openDatabase(configFromEnv())
console.log(`Migrations applied: ${database.kind} at ${database.location}`)
await database.close()
