// A way round a gdb crash: gdb 13.1 aborts ("internal-error: Should not be able to create a lazy value
// with an enclosing type", dwarf2/expr.c) when a member of a struct whose location is made of DW_OP_piece
// parts takes part in arithmetic or a comparison (`p.x + 1`, `p.x == 3`; clang -O2 describes a struct
// parameter as two 4-byte memory pieces). Printing the struct or the member alone works, and so does an
// expression on a copy of the struct in a convenience variable. So after such a crash, an expression that
// names aggregate locals is asked of gdb on copies: `$bv1_p = p` first, then `$bv1_p.x + 1`.

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
