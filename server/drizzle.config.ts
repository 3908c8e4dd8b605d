import { defineConfig } from 'drizzle-kit';

// Migrations live at the repository root (`drizzle/`) and are applied by the server at start-up.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: '../drizzle',
});
