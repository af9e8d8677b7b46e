/**
 * Reads a tar stream's entries (names, types, modes, owners, sizes, sha256 of each file's
 * bytes; never the bytes themselves) so a PKI archive can be checked against the node's
 * `find` listing and recorded in the backup manifest.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import tarStream from "tar-stream";
import type { NodeFileEntry, NodeFileType } from "./pki.ts";

const TAR_TYPES: Record<string, NodeFileType> = {
  file: "file",
  directory: "directory",
  symlink: "symlink",
};

export async function readArchiveEntries(archive: Readable): Promise<NodeFileEntry[]> {
  const extract = tarStream.extract();
  const entries: NodeFileEntry[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, body, next) => {
      const hash = createHash("sha256");
      let size = 0;
      body.on("data", (chunk: unknown) => {
        const bytes = chunk as Buffer;
        hash.update(bytes);
        size += bytes.length;
      });
      body.on("end", () => {
        const type = TAR_TYPES[header.type ?? "file"] ?? "other";
        entries.push({
          path: `/${header.name.replace(/\/+$/, "")}`,
          type,
          mode: (header.mode ?? 0) & 0o7777,
          uid: header.uid ?? 0,
          gid: header.gid ?? 0,
          size,
          ...(type === "file" ? { sha256: hash.digest("hex") } : {}),
          ...(type === "symlink" && header.linkname ? { linkTarget: header.linkname } : {}),
        });
        next();
      });
      body.on("error", reject);
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
    archive.on("error", (error) => extract.destroy(error));
  });
  archive.pipe(extract);
  await done;
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Differences between the archive and the node's listing, one sentence each; empty when they agree. */
export function compareArchiveWithListing(
  archive: NodeFileEntry[],
  listing: NodeFileEntry[],
): string[] {
  const differences: string[] = [];
  const inArchive = new Map(archive.map((entry) => [entry.path, entry]));
  const onNode = new Map(listing.map((entry) => [entry.path, entry]));
  for (const node of listing) {
    const stored = inArchive.get(node.path);
    if (!stored) {
      differences.push(`${node.path} is on the node but not in the archive`);
      continue;
    }
    if (stored.type !== node.type)
      differences.push(
        `${node.path} is a ${node.type} on the node but a ${stored.type} in the archive`,
      );
    if (stored.mode !== node.mode) {
      differences.push(
        `${node.path} has mode ${node.mode.toString(8)} on the node but ${stored.mode.toString(8)} in the archive`,
      );
    }
    if (stored.uid !== node.uid || stored.gid !== node.gid) {
      differences.push(
        `${node.path} is owned by ${node.uid}:${node.gid} on the node but ${stored.uid}:${stored.gid} in the archive`,
      );
    }
    if (node.type === "file" && stored.size !== node.size) {
      differences.push(
        `${node.path} has ${node.size} bytes on the node but ${stored.size} in the archive`,
      );
    }
  }
  for (const stored of archive) {
    if (!onNode.has(stored.path))
      differences.push(`${stored.path} is in the archive but not on the node`);
  }
  return differences;
}
