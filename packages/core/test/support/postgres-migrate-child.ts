// A process that opens (and so migrates) one schema, then exits: the migration race test starts several at once.
import { openPostgresDatabase } from '../../src/adapters/postgres/postgres-database.js';

const [url, schema] = process.argv.slice(2);
if (url === undefined || schema === undefined) throw new Error('usage: postgres-migrate-child URL SCHEMA');
const db = await openPostgresDatabase(url, { schema, max: 1 });
await db.close();
