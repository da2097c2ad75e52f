/**
 * Request-smuggling guard (RFC 9112 §6): a request whose body length two parties could read
 * differently is refused with 400 and its connection closed, before anything runs.
 *
 * uWebSockets.js takes the first of several `Content-Length` fields and reads any
 * `Transfer-Encoding` as chunked, so a proxy in front that reads the last field, or ignores an
 * unknown coding, would see a different next request on the same connection. It closes the
 * connection by itself (without an answer, before any handler runs) when both fields are present
 * or a single length is not a number; what reaches us and must be refused here:
 * - `Content-Length` sent twice (the adapter joins repeated fields with ", ") or empty;
 * - `Transfer-Encoding` other than exactly `chunked` (`gzip, chunked`, `chunked, chunked`,
 *   `xchunked`, …): we decode no other coding, and a list is read differently by different parsers;
 * - both fields together (kept for a parser that passes them on).
 *
 * Cost: one character scan of the length (a handful of characters) on requests that carry one.
 */

/** The problem with the request's framing, or `undefined` when it is unambiguous. */
export function framingProblem(contentLength: string | undefined, transferEncoding: string | undefined): string | undefined {
  if (transferEncoding !== undefined) {
    if (contentLength !== undefined) return 'both Content-Length and Transfer-Encoding are present';
    if (transferEncoding.length !== 7 || transferEncoding.toLowerCase() !== 'chunked') {
      return `Transfer-Encoding '${transferEncoding.slice(0, 100)}' is not supported (only 'chunked')`;
    }
    return undefined;
  }
  if (contentLength !== undefined && !isDigits(contentLength)) {
    return `Content-Length '${contentLength.slice(0, 100)}' is not a single decimal length`;
  }
  return undefined;
}

function isDigits(text: string): boolean {
  if (text.length === 0 || text.length > 16) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
