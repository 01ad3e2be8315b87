import type { TransferMode } from "../transport/multiplayer-peer.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

/** Who may call: the node's authority only (Godot's default), or any peer. */
export type RpcMode = "authority" | "any_peer";
/** Whether the caller runs it too. */
export type RpcSync = "call_remote" | "call_local";

/**
 * Godot 3's RPC keywords (`remote func`, `puppet var`, …) with Godot 3's meaning, as a mode and a
 * sync plus, for master and puppet, where the call runs (on the node's authority, Godot 3's
 * "network master", or everywhere else):
 *
 *   remote      any_peer  + call_remote
 *   remotesync  any_peer  + call_local
 *   master      any_peer  + call_remote, runs only on the authority (the caller too, if it is it)
 *   mastersync  any_peer  + call_local,  runs only on the authority, and on the caller
 *   puppet      authority + call_remote, runs only off the authority (the caller too, if it is off it)
 *   puppetsync  authority + call_local,  runs only off the authority, and on the caller
 */
export type Godot3RpcMode = "remote" | "remotesync" | "master" | "mastersync" | "puppet" | "puppetsync";

/** Where a call runs: wherever it is sent, or (Godot 3's master / puppet) only on / off the node's authority. */
export type RpcRunsOn = "anywhere" | "authority" | "not_authority";

export interface RpcOptions {
  /** Godot 4's `"authority"` / `"any_peer"`, or one of Godot 3's keywords (then without `sync`). */
  mode?: RpcMode | Godot3RpcMode;
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
  runsOn: RpcRunsOn;
  transfer: TransferMode;
  channel: number;
  schemas: readonly StandardSchemaV1[] | undefined;
}

/** Godot-style positional settings, in any order, with the channel last: `"any_peer", "call_local", 1`. */
export type RpcSetting = RpcMode | RpcSync | Godot3RpcMode | TransferMode | number;

const MODES = new Set<string>(["authority", "any_peer"]);
const SYNCS = new Set<string>(["call_remote", "call_local"]);
const TRANSFERS = new Set<string>(["reliable", "unreliable", "unreliable_ordered"]);
const GODOT3: Record<Godot3RpcMode, Pick<RpcConfig, "mode" | "sync" | "runsOn">> = {
  remote: { mode: "any_peer", sync: "call_remote", runsOn: "anywhere" },
  remotesync: { mode: "any_peer", sync: "call_local", runsOn: "anywhere" },
  master: { mode: "any_peer", sync: "call_remote", runsOn: "authority" },
  mastersync: { mode: "any_peer", sync: "call_local", runsOn: "authority" },
  puppet: { mode: "authority", sync: "call_remote", runsOn: "not_authority" },
  puppetsync: { mode: "authority", sync: "call_local", runsOn: "not_authority" },
};

export function toRpcConfig(settings: readonly (RpcSetting | RpcOptions | MemberOptions)[]): RpcConfig {
  const config: RpcConfig = {
    mode: "authority",
    sync: "call_remote",
    runsOn: "anywhere",
    transfer: "reliable",
    channel: 0,
    schemas: undefined,
  };
  let godot3: string | undefined;
  let godot4: string | undefined;
  const setMode = (mode: string) => {
    if (Object.hasOwn(GODOT3, mode)) {
      godot3 = mode;
      Object.assign(config, GODOT3[mode as Godot3RpcMode]);
    } else {
      godot4 = mode;
      config.mode = mode as RpcMode;
    }
  };
  const setSync = (sync: string) => {
    godot4 = sync;
    config.sync = sync as RpcSync;
  };
  for (const setting of settings) {
    if (typeof setting === "number") config.channel = setting;
    else if (typeof setting === "string") {
      if (MODES.has(setting) || Object.hasOwn(GODOT3, setting)) setMode(setting);
      else if (SYNCS.has(setting)) setSync(setting);
      else if (TRANSFERS.has(setting)) config.transfer = setting as TransferMode;
      else throw new TypeError(`unknown rpc setting "${setting}"`);
    } else {
      if (setting.mode) setMode(setting.mode);
      if (setting.sync) setSync(setting.sync);
      Object.assign(config, {
        ...(setting.transfer && { transfer: setting.transfer }),
        ...(setting.channel !== undefined && { channel: setting.channel }),
      });
      if ("args" in setting && setting.args) config.schemas = setting.args;
      if ("value" in setting && setting.value) config.schemas = [setting.value];
    }
  }
  if (godot3 && godot4) {
    throw new TypeError(
      `"${godot3}" is Godot 3's keyword for who calls and where it runs; it cannot be combined with "${godot4}"`,
    );
  }
  if (!MODES.has(config.mode) || !SYNCS.has(config.sync) || !TRANSFERS.has(config.transfer)) {
    throw new TypeError(`invalid rpc options ${JSON.stringify(config)}`);
  }
  if (!Number.isInteger(config.channel) || config.channel < 0 || config.channel > 255) {
    throw new RangeError(`rpc channel must be an integer in 0..255, got ${config.channel}`);
  }
  return config;
}
