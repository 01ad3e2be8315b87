import { declareNetworked, markRpcMethod } from "./network-table.js";
import { type MemberOptions, type RpcOptions, type RpcSetting, toRpcConfig } from "./rpc-config.js";

/**
 * A decorator that works both as a TC39 standard decorator and under `experimentalDecorators`,
 * so a game can use either compiler setting.
 */
export interface MethodDecorator {
  (value: (this: never, ...args: never[]) => unknown, context: ClassMethodDecoratorContext): void;
  (target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
}

export interface FieldDecorator {
  (value: undefined, context: ClassFieldDecoratorContext): void;
  (target: object, key: string | symbol): void;
}

/**
 * Marks a method as callable over the network, with Godot's options and defaults
 * (`"authority"`, `"call_remote"`, `"reliable"`, channel 0):
 *
 *   @rpc                                          // defaults
 *   @rpc("any_peer", "call_local", "unreliable", 1)
 *   @rpc({ mode: "any_peer", args: [z.string().max(200)] })
 */
export function rpc(
  value: (this: never, ...args: never[]) => unknown,
  context: ClassMethodDecoratorContext,
): void;
export function rpc(target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
export function rpc(...settings: Array<RpcSetting | RpcOptions>): MethodDecorator;
export function rpc(...args: unknown[]): MethodDecorator | undefined {
  if (isStandardContext(args[1]) || isLegacyMethod(args)) {
    (decorateMethod(toRpcConfig([])) as (...a: unknown[]) => void)(...args);
    return undefined;
  }
  return decorateMethod(toRpcConfig(args as Array<RpcSetting | RpcOptions>));
}

/**
 * Marks a field as settable over the network with `rset`, with the same options and permission
 * model as `@rpc`: `@networked("any_peer") score = 0`.
 */
export function networked(value: undefined, context: ClassFieldDecoratorContext): void;
export function networked(target: object, key: string | symbol): void;
export function networked(...settings: Array<RpcSetting | MemberOptions>): FieldDecorator;
export function networked(...args: unknown[]): FieldDecorator | undefined {
  const legacyField = typeof args[0] === "object" && args[0] !== null && typeof args[1] === "string";
  if (isStandardContext(args[1]) || legacyField) {
    (decorateField(toRpcConfig([])) as (...a: unknown[]) => void)(...args);
    return undefined;
  }
  return decorateField(toRpcConfig(args as Array<RpcSetting | MemberOptions>));
}

function decorateMethod(config: ReturnType<typeof toRpcConfig>): MethodDecorator {
  return ((value: unknown, key: unknown, descriptor?: PropertyDescriptor) => {
    if (isStandardContext(key)) {
      if (key.kind !== "method" || key.static || key.private) {
        throw new TypeError(`@rpc goes on a public instance method, not on ${String(key.name)}`);
      }
      markRpcMethod(value as object, config);
    } else {
      if (typeof descriptor?.value !== "function")
        throw new TypeError(`@rpc goes on a method, not on ${String(key)}`);
      markRpcMethod(descriptor.value, config);
    }
  }) as MethodDecorator;
}

function decorateField(config: ReturnType<typeof toRpcConfig>): FieldDecorator {
  return ((target: unknown, key: unknown) => {
    if (isStandardContext(key)) {
      if (key.kind !== "field" || key.static || key.private) {
        throw new TypeError(`@networked goes on a public instance field, not on ${String(key.name)}`);
      }
      const name = key.name as string;
      key.addInitializer(function (this: unknown) {
        declareNetworked(Object.getPrototypeOf(this), "member", name, config);
      });
    } else {
      declareNetworked(target as object, "member", key as string, config);
    }
  }) as FieldDecorator;
}

function isStandardContext(value: unknown): value is DecoratorContext {
  return typeof value === "object" && value !== null && "kind" in value && "name" in value;
}

function isLegacyMethod(args: unknown[]): boolean {
  return (
    args.length === 3 &&
    typeof args[0] === "object" &&
    typeof (args[2] as PropertyDescriptor)?.value === "function"
  );
}
