import { afterEach, describe, expect, it, vi } from "vitest";
import { NetNode } from "../src/common.js";

describe("NetNode tree events", () => {
  afterEach(() => vi.restoreAllMocks());

  it("childEnteredTree fires after addChild has put the child in place", () => {
    const parent = new NetNode("parent");
    const child = new NetNode("child");
    const seen: string[] = [];
    parent.events.on("childEnteredTree", (node) => {
      expect(node.parent).toBe(parent);
      seen.push(node.getPath());
    });
    parent.addChild(child);
    expect(seen).toEqual(["/parent/child"]);
  });

  it("childExitingTree fires before removeChild takes the child out", () => {
    const parent = new NetNode("parent");
    const child = parent.addChild(new NetNode("child"));
    const seen: string[] = [];
    parent.events.on("childExitingTree", (node) => {
      expect(parent.getChild("child")).toBe(node);
      seen.push(node.getPath());
    });
    parent.removeChild(child);
    expect(seen).toEqual(["/parent/child"]);
    expect(child.parent).toBeNull();
    expect(parent.getChild("child")).toBeNull();
  });

  it("fires on the parent only, once per call, and not for a failed call", () => {
    const root = new NetNode("root");
    const parent = root.addChild(new NetNode("parent"));
    const onRoot = vi.fn();
    const onParent = vi.fn();
    root.events.on("childEnteredTree", onRoot);
    parent.events.on("childEnteredTree", onParent);
    const child = parent.addChild(new NetNode("child"));
    expect(onRoot).not.toHaveBeenCalled();
    expect(onParent).toHaveBeenCalledExactlyOnceWith(child);
    expect(() => parent.addChild(new NetNode("child"))).toThrow();
    expect(onParent).toHaveBeenCalledOnce();
    const exiting = vi.fn();
    root.events.on("childExitingTree", exiting);
    expect(() => root.removeChild(child)).toThrow();
    expect(exiting).not.toHaveBeenCalled();
  });

  it("a throwing listener is reported and the tree still changes", () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const parent = new NetNode("parent");
    parent.events.on("childEnteredTree", () => {
      throw new Error("boom");
    });
    parent.events.on("childExitingTree", () => {
      throw new Error("boom");
    });
    const child = parent.addChild(new NetNode("child"));
    expect(child.parent).toBe(parent);
    parent.removeChild(child);
    expect(child.parent).toBeNull();
    expect(error).toHaveBeenCalledTimes(2);
  });

  it("a childExitingTree listener that removes the child itself ends the removal cleanly", () => {
    const parent = new NetNode("parent");
    const child = parent.addChild(new NetNode("child"));
    const exiting = vi.fn((node: NetNode) => parent.removeChild(node));
    parent.events.on("childExitingTree", exiting);
    parent.removeChild(child);
    expect(exiting).toHaveBeenCalledOnce();
    expect(child.parent).toBeNull();
    expect(parent.children).toEqual([]);
  });

  it("removing and adding again fires both events again", () => {
    const parent = new NetNode("parent");
    const child = new NetNode("child");
    const log: string[] = [];
    parent.events.on("childEnteredTree", (node) => log.push(`+${node.name}`));
    parent.events.on("childExitingTree", (node) => log.push(`-${node.name}`));
    parent.addChild(child);
    parent.removeChild(child);
    parent.addChild(child);
    expect(log).toEqual(["+child", "-child", "+child"]);
  });
});
