/**
 * The Standard Schema interface (standardschema.dev), implemented by zod, valibot, arktype and
 * others. Declared here so Starwire validates with any of them without depending on one.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string }> };

/** Validates synchronously; returns the (possibly transformed) value or a message. */
export function validateWith(
  schema: StandardSchemaV1,
  value: unknown,
): { value: unknown } | { error: string } {
  let result: ReturnType<StandardSchemaV1["~standard"]["validate"]>;
  try {
    result = schema["~standard"].validate(value);
  } catch (error) {
    // A schema is game code run on network input: its throw rejects the input, nothing more.
    return { error: `the schema threw: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (result instanceof Promise) return { error: "asynchronous schemas are not supported" };
  if (result.issues) return { error: result.issues.map((issue) => issue.message).join("; ") };
  return { value: result.value };
}
