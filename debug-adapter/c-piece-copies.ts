// A way round a gdb crash: gdb 13.1 aborts ("internal-error: Should not be able to create a lazy value
// with an enclosing type", dwarf2/expr.c) when a member of a struct whose location is made of DW_OP_piece
// parts takes part in arithmetic or a comparison (`p.x + 1`, `p.x == 3`; clang -O2 describes a struct
// parameter as two 4-byte memory pieces). Printing the struct or the member alone works, and so does an
// expression on a copy of the struct in a convenience variable. So an expression that names a local whose
// location has pieces (gdb's `info address` says so, asked before the first evaluation) is asked of gdb on
// copies: `$bv1_p = p` first, then `$bv1_p.x + 1`; gdb never sees the expression that kills it. Should gdb
// crash all the same (another shape of DWARF), every aggregate local is read from copies from then on.

/** An expression that assigns or increments: asked on a copy it would change the copy, not the guest. */
const ASSIGNS = /(?:^|[^=!<>])=(?!=)|\+\+|--/;

/**
 * The prefix of the convenience variables that hold the copies: a fresh one for every question, since gdb
 * 13.1 keeps a struct convenience variable's old contents when it is assigned again while a variable object
 * shows it.
 */
export const copyPrefix = (n: number): string => `$bv${n}_`;

export function assigns(expression: string): boolean {
  return ASSIGNS.test(expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""'));
}

/**
 * The expression with each of `names` used as a variable (not a member after `.` or `->`, not inside a
 * string or character literal, not part of a longer name) read from its copy; and the names it uses. The copy of `p` is `${prefix}p`.
 */
export function onCopies(
  expression: string,
  names: Iterable<string>,
  prefix: string,
): { text: string; used: string[] } {
  const wanted = new Set(names);
  const used = new Set<string>();
  let text = '';
  const token = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\$?[A-Za-z_]\w*|->|::|./gs;
  let previous = '';
  for (const m of expression.matchAll(token)) {
    const t = m[0];
    if (/^[A-Za-z_]/.test(t) && wanted.has(t) && previous !== '.' && previous !== '->' && previous !== '::') {
      used.add(t);
      text += prefix + t;
    } else text += t;
    if (!/^\s$/.test(t)) previous = t;
  }
  return { text, used: [...used] };
}

/**
 * Whether gdb's `info address NAME` describes a location made of DW_OP_piece parts (in any of its ranges):
 * `a complex DWARF expression: 0: DW_OP_breg5 8 [$ebp] [4-byte piece], and ...`.
 */
export function isPieced(infoAddress: string): boolean {
  return /\[\d+-(?:byte|bit) piece\b|DW_OP_(?:bit_)?piece/.test(infoAddress);
}
