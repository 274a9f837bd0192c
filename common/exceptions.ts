// The CPU exceptions as the vCPU knows them: the one table in native/src/cpu/exceptions.cpp, read through the
// binding (vector, mnemonic, name, class, error code, double-fault class). Nothing above common/ keeps its
// own list.
import { loadBinding, type NativeExceptionRow } from './binding';

export type ExceptionRow = NativeExceptionRow;

let table: readonly ExceptionRow[] | undefined;

/** Vectors 0-31, indexed by vector. */
export function exceptionTable(): readonly ExceptionRow[] {
  table ??= Object.freeze(
    loadBinding()
      .exceptionTable()
      .map((r) => Object.freeze({ ...r })),
  );
  return table;
}

/** The row of a vector 0-31; undefined above (a plain interrupt). */
export function exceptionRow(vector: number): ExceptionRow | undefined {
  return Number.isInteger(vector) && vector >= 0 && vector < 32 ? exceptionTable()[vector] : undefined;
}

/** What a fault raised while the CPU delivers exception `first` becomes (Intel SDM vol. 3, table 6-5). */
export function secondFault(first: number, second: number): 'serial' | 'double fault' | 'triple fault' {
  return loadBinding().secondFault(first, second);
}
