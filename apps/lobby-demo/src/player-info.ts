import { Color, type StandardSchemaV1 } from "starwire";

export interface PlayerInfo {
  name: string;
  color: Color;
}

export const MAX_NAME_LENGTH = 20;

/** What the lobby accepts from the network as player info. */
export const playerInfoSchema: StandardSchemaV1<PlayerInfo> = {
  "~standard": {
    version: 1,
    vendor: "lobby-demo",
    validate(value) {
      const info = value as Partial<PlayerInfo> | null;
      const name = typeof info?.name === "string" ? info.name.trim() : "";
      if (!name || name.length > MAX_NAME_LENGTH)
        return { issues: [{ message: "name must be 1-20 characters" }] };
      if (!(info?.color instanceof Color)) return { issues: [{ message: "color must be a Color" }] };
      return { value: { name, color: info.color } };
    },
  },
};

export function colorFromHex(hex: string): Color {
  const value = Number.parseInt(hex.replace("#", ""), 16);
  return new Color(((value >> 16) & 255) / 255, ((value >> 8) & 255) / 255, (value & 255) / 255, 1);
}
