interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Group commit: while one write of the whole state is in flight, every commit that
 * arrives joins the next write, so N concurrent writers cost one fsync round instead of N.
 * Each caller's promise settles only when a write that started after its call has
 * finished, i.e. when the file holding its change is durable.
 */
export class GroupCommitter {
  private inFlight: Promise<void> | undefined;
  private next: Batch | undefined;

  constructor(private readonly writeAll: () => Promise<void>) {}

  commit(): Promise<void> {
    const batch = (this.next ??= newBatch());
    if (!this.inFlight) this.start();
    return batch.promise;
  }

  /** Resolves once every commit requested so far is durable (or has failed). */
  async flush(): Promise<void> {
    while (this.inFlight || this.next) {
      await (this.next?.promise ?? this.inFlight)?.catch(() => {});
    }
  }

  private start(): void {
    const batch = this.next!;
    this.next = undefined;
    // writeAll serialises the state before its first await, so every mutation applied
    // before this point is in this write; later ones wait for the next.
    this.inFlight = this.writeAll().then(batch.resolve, batch.reject).finally(() => {
      this.inFlight = undefined;
      if (this.next) this.start();
    });
  }
}
