import { printType as printMember, type Type } from './type.js';

/**
 * The reference's runtime type rendering used by the HTTP API:
 * `CInt`, `CList(CString)`, `CProduct(Map(a -> CInt, b -> CString))`, … Record and union fields
 * are sorted by name for determinism.
 */
export function ctypeString(t: Type): string {
  switch (t.k) {
    case 'String': return 'CString';
    case 'Int': return 'CInt';
    case 'Float': return 'CFloat';
    case 'Boolean': return 'CBoolean';
    case 'List': return `CList(${ctypeString(t.of)})`;
    case 'Seq': return `CSeq(${ctypeString(t.of)})`;
    case 'Optional': return `COptional(${ctypeString(t.of)})`;
    case 'Map': return `CMap(${ctypeString(t.key)},${ctypeString(t.value)})`;
    case 'Record': {
      const fields = [...t.fields].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return `CProduct(Map(${fields.map(([n, ft]) => `${n} -> ${ctypeString(ft)}`).join(', ')}))`;
    }
    case 'Union': {
      const members = t.members.map((m) => [printMember(m), m] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      return `CUnion(Map(${members.map(([tag, m]) => `${tag} -> ${ctypeString(m)}`).join(', ')}))`;
    }
    default: return t.k;
  }
}
