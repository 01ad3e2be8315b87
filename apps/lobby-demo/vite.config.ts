import { defineConfig } from "vite";

// No aliases, polyfills or defines: importing starwire must just work.
export default defineConfig({ root: import.meta.dirname });
