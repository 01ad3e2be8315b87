import { defineConfig } from "vite";

// Deliberately empty of aliases, polyfills and defines: the harness is built the way a game would be.
export default defineConfig({ root: import.meta.dirname });
