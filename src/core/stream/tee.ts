/**
 * A writable that forwards every chunk to its outputs and takes the next chunk only when
 * all have taken this one (backpressure from the slower side); ending it ends both.
 *
 * It settles on every path: an output that fails or closes before it was ended fails the
 * tee (and so whatever pipeline feeds it), and a tee that fails or is destroyed destroys
 * both outputs with the same error. A write never waits for a 'drain' that cannot come.
 */
import { finished, Writable } from "node:stream";

export function teeInto(
  primary: Writable,
  secondary: Writable,
  count: (bytes: number) => void = () => undefined,
): Writable {
  return fanOut([primary, secondary], count);
}

/**
 * The same for any number of outputs (a restore feeds every member at once). At the end the
 * first output is ended last: the others (a verification copy) are complete before its
 * reader sees the end.
 */
export function fanOut(
  outputs: readonly Writable[],
  count: (bytes: number) => void = () => undefined,
): Writable {
  const [first, ...others] = outputs;
  const tee = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, done) {
      count(chunk.length);
      Promise.all(outputs.map((output) => writeTo(output, chunk))).then(() => done(), done);
    },
    final(done) {
      Promise.all(others.map(endOf))
        .then(() => (first ? endOf(first) : undefined))
        .then(() => done(), done);
    },
    destroy(error, done) {
      const cause = error ?? new Error("the stream was stopped before it ended");
      for (const output of outputs) if (!output.writableFinished) output.destroy(cause);
      done(error);
    },
  });
  for (const output of outputs) failWith(tee, output);
  return tee;
}

/** An output that errors, or closes before it finished, fails the tee with its error. */
function failWith(tee: Writable, output: Writable): void {
  finished(output, { readable: false }, (error) => {
    if (error && !tee.destroyed) tee.destroy(error);
  });
}

/** Resolves once the stream took the chunk; rejects if it fails or is gone before that. */
export function writeTo(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (stream.destroyed || stream.writableEnded) {
      reject(gone(stream));
      return;
    }
    if (stream.write(chunk)) return resolve();
    const cleanUp = () => {
      stream.off("drain", onDrain);
      stream.off("error", onError);
      stream.off("close", onClose);
    };
    const onDrain = () => {
      cleanUp();
      resolve();
    };
    const onError = (error: Error) => {
      cleanUp();
      reject(error);
    };
    // Destroyed without an error: no 'drain' and no 'error' will ever come.
    const onClose = () => {
      cleanUp();
      reject(stream.errored ?? gone(stream));
    };
    stream.on("drain", onDrain);
    stream.on("error", onError);
    stream.on("close", onClose);
  });
}

/** Ends the stream and resolves once everything written reached it; rejects if it fails first. */
function endOf(stream: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (stream.writableFinished) return resolve();
    if (stream.destroyed) return reject(stream.errored ?? gone(stream));
    finished(stream, { readable: false }, (error) => (error ? reject(error) : resolve()));
    stream.end();
  });
}

function gone(stream: Writable): Error {
  return (
    stream.errored ??
    Object.assign(new Error("the output was closed before all data was written to it"), {
      code: "ERR_STREAM_PREMATURE_CLOSE",
    })
  );
}
