// Answers to the reads VS Code makes after every stop (threads, then stackTrace, scopes of the top frame and
// variables of its first scope, one after the other), computed after the read before them has been written:
// the client needs a round trip to ask for the next one, and the adapter is idle meanwhile. A prepared
// answer is what the request would compute at that moment, so it is only given to the very next request,
// and only if that request is the one it was prepared for: any other request first drops every prepared
// answer, and gives back the variable references their preparation allocated (the store numbers them in
// order), so the numbering, and every answer, is what it would have been without preparation.

export interface PreparedAnswer {
  /** The request it answers: its command and the arguments that decide the answer (readKey). */
  key: string;
  value: unknown;
  /** The variable store's next reference before it was prepared (undefined when it allocates none). */
  mark?: number;
}

/** What a read request's answer depends on, as a key; undefined for every other request. */
export function readKey(command: string, args: Record<string, unknown> | undefined): string | undefined {
  switch (command) {
    case 'stackTrace':
      // The frames do not depend on startFrame and levels: the answer is sliced from them on request.
      return `stackTrace ${args?.threadId}`;
    case 'scopes':
      return `scopes ${args?.frameId}`;
    case 'variables':
      // Paging, filters and formats are answered the usual way.
      return args?.filter === undefined &&
        args?.start === undefined &&
        args?.count === undefined &&
        args?.format === undefined
        ? `variables ${args?.variablesReference}`
        : undefined;
    default:
      return undefined;
  }
}

export class PreparedReads {
  /** In the order the client asks for them. */
  private queue: PreparedAnswer[] = [];

  /** Gives back the references allocated from `mark` on. */
  constructor(private readonly rollback: (mark: number) => void) {}

  /** Every request comes here first: one that is not the next prepared answer's drops them all. */
  arrived(command: string, args: Record<string, unknown> | undefined): void {
    if (this.queue.length === 0) return;
    if (readKey(command, args) !== this.queue[0].key) this.drop();
  }

  /** The answer prepared for this request (once), or undefined: compute it. */
  take(key: string): unknown {
    if (this.queue.length === 0 || this.queue[0].key !== key) return undefined;
    return this.queue.shift()!.value;
  }

  add(answer: PreparedAnswer): void {
    this.queue.push(answer);
  }

  drop(): void {
    if (this.queue.length === 0) return; // after every stop: nothing to allocate then
    const marks = this.queue.map((a) => a.mark).filter((m): m is number => m !== undefined);
    this.queue = [];
    if (marks.length) this.rollback(Math.min(...marks));
  }
}
