/**
 * A restore's journal, and its lock, as a ConfigMap of the admin cluster in the user
 * cluster's namespace: the admin cluster is not what the restore rolls back, so the record
 * outlives the runner. The first entry creates it (exclusively: a second restore of the
 * same cluster finds it and stops); each further entry is a replace with the
 * resourceVersion last read, so two writers can never interleave silently. Deleting it at
 * the end of a finished restore releases the lock.
 */
import type { KubeConfig, V1ConfigMap } from "@kubernetes/client-node";
import { CoreV1Api } from "../kube-client.ts";
import type { Journal, JournalEntry } from "../journal/journal.ts";
import { describeApiError } from "./errors.ts";

export const RESTORE_JOURNAL_NAME = "etcd-backup-actions-restore";
const ENTRIES_KEY = "journal";

export class ConfigMapJournal implements Journal {
  readonly description: string;
  private resourceVersion: string | undefined;
  private entries: JournalEntry[] | undefined;
  private removed = false;

  constructor(
    private readonly config: KubeConfig,
    readonly namespace: string,
    readonly name: string = RESTORE_JOURNAL_NAME,
  ) {
    this.description = `ConfigMap ${namespace}/${name} of the admin cluster`;
  }

  async read(): Promise<JournalEntry[]> {
    const configMap = await this.fetch();
    this.resourceVersion = configMap?.metadata?.resourceVersion;
    this.entries = configMap ? parseEntries(configMap, this.description) : [];
    return [...this.entries];
  }

  async append(entry: JournalEntry): Promise<void> {
    // Removed by the run's last step: the work is finished, and its lock must stay released.
    if (this.removed) return;
    if (this.entries === undefined) await this.read();
    await this.write([...this.entries!, entry]);
  }

  /**
   * Replaces every entry in one write (creating the journal if needed): used when a new piece
   * of work takes the lock over and must keep what the old one recorded.
   */
  async rewrite(entries: JournalEntry[]): Promise<void> {
    await this.read();
    this.removed = false;
    await this.write(entries);
  }

  private async write(entries: JournalEntry[]): Promise<void> {
    const core = this.config.makeApiClient(CoreV1Api);
    const body: V1ConfigMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { "app.kubernetes.io/managed-by": "etcd-backup-actions" },
        ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
      },
      data: { [ENTRIES_KEY]: entries.map((item) => JSON.stringify(item)).join("\n") + "\n" },
    };
    try {
      const written = this.resourceVersion
        ? await core.replaceNamespacedConfigMap({
            name: this.name,
            namespace: this.namespace,
            body,
          })
        : await core.createNamespacedConfigMap({ namespace: this.namespace, body });
      this.resourceVersion = written.metadata?.resourceVersion;
      this.entries = entries;
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 409) {
        throw new Error(
          `${this.description} was written by someone else meanwhile (another restore of this cluster is running): this run stops.`,
          { cause: error },
        );
      }
      throw new Error(describeApiError(error, this.description), { cause: error });
    }
  }

  /** Removes the journal: the restore is finished (or undone) and the lock is released. */
  async remove(): Promise<void> {
    const core = this.config.makeApiClient(CoreV1Api);
    await core
      .deleteNamespacedConfigMap({ name: this.name, namespace: this.namespace })
      .catch((error: unknown) => {
        if ((error as { code?: number }).code === 404) return;
        throw new Error(describeApiError(error, this.description), { cause: error });
      });
    this.entries = [];
    this.resourceVersion = undefined;
    this.removed = true;
  }

  /** After remove(): the journal takes entries again (a new piece of work takes the lock). */
  reopen(): void {
    this.removed = false;
  }

  private async fetch(): Promise<V1ConfigMap | undefined> {
    const core = this.config.makeApiClient(CoreV1Api);
    try {
      return await core.readNamespacedConfigMap({ name: this.name, namespace: this.namespace });
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw new Error(describeApiError(error, this.description), { cause: error });
    }
  }
}

/** Whether a restore of the cluster in `namespace` holds the lock (its journal exists). */
export async function restoreInProgress(config: KubeConfig, namespace: string): Promise<boolean> {
  return (await new ConfigMapJournal(config, namespace).read()).length > 0;
}

function parseEntries(configMap: V1ConfigMap, description: string): JournalEntry[] {
  const text = configMap.data?.[ENTRIES_KEY] ?? "";
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line, index) => {
      try {
        return JSON.parse(line) as JournalEntry;
      } catch {
        throw new Error(
          `${description} is damaged at entry ${index + 1}; read it before continuing.`,
        );
      }
    });
}
