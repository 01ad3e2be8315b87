// The "signaling-redis" vitest project: one redis-server for the whole run, its URL handed to the
// tests (helpers.ts startServer then puts every test server's rooms in it, each under its own keys).
import type { TestProject } from "vitest/node";
import { startRedisServer } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startRedisServer();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
