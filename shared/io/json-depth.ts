/**
 * A nesting bound checked on JSON text before it is parsed. JSON.parse itself copes with deep
 * nesting, but what runs on the value next (schema checks, canonical JSON for a signature,
 * stringify) recurses once per level: a 40,000-deep message threw "Maximum call stack size
 * exceeded" in the cloud's handlers and the device's manifest check (issue 16). Every JSON
 * message from the network is shallow, so a bound far above any real one costs nothing.
 */

/** Deepest nesting any message or manifest of ours needs, with room to spare. */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of JSON text (objects and arrays), counted without parsing: one pass over
 * the characters, skipping strings. Stops early once past `limit` and returns limit + 1.
 */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return limit + 1;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** JSON.parse after the depth bound; throws a SyntaxError-like Error naming the bound. */
export function parseBoundedJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new Error(`nested deeper than ${maxDepth} levels`);
  }
  return JSON.parse(text);
}
