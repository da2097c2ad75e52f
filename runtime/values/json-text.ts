/**
 * The JSON text of a string, as JSON.stringify writes it, without JSON.stringify's fixed cost
 * (~3,000 instructions for a 36-character id, more than the rest of writing a response) when
 * the string is short printable ASCII with nothing to escape — ids, names, most output text.
 */
export function jsonString(s: string): string {
  if (s.length > 128) return JSON.stringify(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(s);
  }
  return '"' + s + '"';
}
