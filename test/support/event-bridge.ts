/**
 * What EventBridge does with an input transformer, for the parts cordon uses: input paths in dot
 * notation with array indices, and placeholders outside quotes, which EventBridge fills with the
 * value as JSON. Shared by the auto-contain plan's tests and the contain workflow's.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */

/** An input path as EventBridge reads it: dot notation and array indices. */
export function readInputPath(event: unknown, path: string): unknown {
  return path
    .replace(/^\$\./, "")
    .split(".")
    .flatMap((part) => part.split(/\[(\d+)\]/).filter((p) => p !== ""))
    .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], event);
}

/** The input template filled as EventBridge fills a placeholder outside quotes: the value as JSON. */
export function transformInput(
  transformer: { inputPaths: Record<string, string>; inputTemplate: string },
  event: unknown,
): unknown {
  const values = Object.fromEntries(
    Object.entries(transformer.inputPaths).map(([name, path]) => [name, readInputPath(event, path)]),
  );
  return JSON.parse(transformer.inputTemplate.replace(/<(\w+)>/g, (_, name: string) => JSON.stringify(values[name])));
}
