import starwire from "starwire/vite";
import { defineConfig } from "vite";

export default defineConfig({ plugins: [starwire()] });
