import { MultiplayerAPI } from "./multiplayer-api.js";

/** The game's MultiplayerAPI, like Godot's `multiplayer`; construct more for several games in one page. */
export const multiplayer = new MultiplayerAPI();
