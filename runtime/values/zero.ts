import { printType, type Type } from '../types/type.js';
import { setField, Tagged, ValueMap, type Value } from './value.js';

/**
 * Zero values for `on_error: skip | log`. For unions the first member in the
 * printed (lexicographic) order is used, which is deterministic because members are sorted.
 */
export function zeroValue(t: Type): Value {
  switch (t.k) {
    case 'String': return '';
    case 'Int': case 'Float': return 0;
    case 'Boolean': return false;
    case 'List': case 'Seq': return [];
    case 'Map': return new ValueMap();
    case 'Optional': return null;
    case 'Record': {
      const o: Record<string, Value> = {};
      for (const [n, ft] of t.fields) setField(o, n, zeroValue(ft));
      return o;
    }
    case 'Union': {
      const first = t.members[0]!;
      return new Tagged(printType(first), zeroValue(first));
    }
    default:
      return null;
  }
}
