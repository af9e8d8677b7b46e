/**
 * A writable that forwards every chunk to two outputs and takes the next chunk only when
 * both have taken this one (backpressure from the slower side); ending it ends both.
 */
import { Writable } from "node:stream";

export function teeInto(
  primary: Writable,
  secondary: Writable,
  count: (bytes: number) => void = () => undefined,
): Writable {
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, done) {
      count(chunk.length);
      Promise.all([writeTo(primary, chunk), writeTo(secondary, chunk)]).then(() => done(), done);
    },
    final(done) {
      secondary.end(() => {
        primary.end();
        done();
      });
    },
  });
}

function writeTo(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (stream.write(chunk)) return resolve();
    const onDrain = () => {
      stream.off("error", onError);
      resolve();
    };
    const onError = (error: Error) => {
      stream.off("drain", onDrain);
      reject(error);
    };
    stream.once("drain", onDrain);
    stream.once("error", onError);
  });
}
