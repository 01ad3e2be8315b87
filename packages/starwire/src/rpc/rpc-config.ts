import type { TransferMode } from "../transport/multiplayer-peer.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

/** Who may call: the node's authority only (Godot's default), or any peer. */
export type RpcMode = "authority" | "any_peer";
/** Whether the caller runs it too. */
export type RpcSync = "call_remote" | "call_local";

export interface RpcOptions {
  mode?: RpcMode;
  sync?: RpcSync;
  transfer?: TransferMode;
  /** 0 (default) uses the built-in channel of the transfer mode; n ≥ 1 a channel declared on the peer. */
  channel?: number;
  /** Per-argument schemas (Standard Schema: zod, valibot, arktype…); a call that fails them is rejected. */
  args?: readonly StandardSchemaV1[];
}

/** For `rset` members: as RpcOptions, with one schema for the value. */
export interface MemberOptions extends Omit<RpcOptions, "args"> {
  value?: StandardSchemaV1;
}

export interface RpcConfig {
  mode: RpcMode;
  sync: RpcSync;
  transfer: TransferMode;
  channel: number;
  schemas: readonly StandardSchemaV1[] | undefined;
}

/** Godot-style positional settings, in any order, with the channel last: `"any_peer", "call_local", 1`. */
export type RpcSetting = RpcMode | RpcSync | TransferMode | number;

const MODES = new Set<string>(["authority", "any_peer"]);
const SYNCS = new Set<string>(["call_remote", "call_local"]);
const TRANSFERS = new Set<string>(["reliable", "unreliable", "unreliable_ordered"]);

export function toRpcConfig(settings: readonly (RpcSetting | RpcOptions | MemberOptions)[]): RpcConfig {
  const config: RpcConfig = {
    mode: "authority",
    sync: "call_remote",
    transfer: "reliable",
    channel: 0,
    schemas: undefined,
  };
  for (const setting of settings) {
    if (typeof setting === "number") config.channel = setting;
    else if (typeof setting === "string") {
      if (MODES.has(setting)) config.mode = setting as RpcMode;
      else if (SYNCS.has(setting)) config.sync = setting as RpcSync;
      else if (TRANSFERS.has(setting)) config.transfer = setting as TransferMode;
      else throw new TypeError(`unknown rpc setting "${setting}"`);
    } else {
      Object.assign(config, {
        ...(setting.mode && { mode: setting.mode }),
        ...(setting.sync && { sync: setting.sync }),
        ...(setting.transfer && { transfer: setting.transfer }),
        ...(setting.channel !== undefined && { channel: setting.channel }),
      });
      if ("args" in setting && setting.args) config.schemas = setting.args;
      if ("value" in setting && setting.value) config.schemas = [setting.value];
    }
  }
  if (!MODES.has(config.mode) || !SYNCS.has(config.sync) || !TRANSFERS.has(config.transfer)) {
    throw new TypeError(`invalid rpc options ${JSON.stringify(config)}`);
  }
  if (!Number.isInteger(config.channel) || config.channel < 0 || config.channel > 255) {
    throw new RangeError(`rpc channel must be an integer in 0..255, got ${config.channel}`);
  }
  return config;
}
