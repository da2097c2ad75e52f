/**
 * Java's `String.split(regex)` (limit 0) in JavaScript, which the example pack's `Split` and
 * `SplitLines` must reproduce: the delimiter is a regular expression,
 * a zero-width match at position 0 yields no leading empty string, trailing empty strings are
 * removed, and no match at all returns the whole input.
 *
 * Java and JavaScript regular expressions agree on the common syntax; `\Q…\E` quoting is
 * translated here. An invalid pattern throws (the module then fails).
 */
export function javaSplit(input: string, pattern: string): string[] {
  const regex = new RegExp(translateJavaRegex(pattern), 'g');
  const pieces: string[] = [];
  let index = 0;
  let matched = false;
  regex.lastIndex = 0;
  for (;;) {
    const m = regex.exec(input);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    if (m[0].length === 0) regex.lastIndex = end + 1; // step over an empty match, as Matcher.find does
    if (end === 0 && start === 0) {
      if (regex.lastIndex > input.length) break;
      continue;
    }
    matched = true;
    pieces.push(input.slice(index, start));
    index = end;
    if (regex.lastIndex > input.length) break;
  }
  if (!matched) return [input];
  pieces.push(input.slice(index));
  let last = pieces.length;
  while (last > 0 && pieces[last - 1] === '') last--;
  return pieces.slice(0, last);
}

function translateJavaRegex(pattern: string): string {
  return pattern.replace(/\\Q([\s\S]*?)(?:\\E|$)/g, (_, quoted: string) => quoted.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
}
