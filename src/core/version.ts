/** The tool's own name and version, recorded in every manifest. */
import packageJson from "../../package.json" with { type: "json" };

export const TOOL_NAME = "etcd-backup-actions";
export const TOOL_VERSION: string = packageJson.version;
