/**
 * The one error type of the snapshot reader: what is wrong, in which file, and on which
 * bolt page when there is one, phrased for an operator deciding whether to trust a backup.
 */
export class SnapshotError extends Error {
  override readonly name = "SnapshotError";
  readonly file: string;
  /** The bolt page the problem was found on, when it is about one page. */
  readonly page?: number;

  constructor(message: string, file: string, page?: number) {
    super(message);
    this.file = file;
    if (page !== undefined) this.page = page;
  }
}

/** `file: page N: what is wrong` as a sentence. */
export function describeAt(file: string, page: number | undefined, what: string): string {
  return page === undefined ? `${file}: ${what}` : `${file}: page ${page}: ${what}`;
}

export function snapshotError(file: string, what: string, page?: number): SnapshotError {
  return new SnapshotError(describeAt(file, page, what), file, page);
}
