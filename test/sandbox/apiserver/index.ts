/** The sandbox API server: start it over an ObjectStore and a PodExecutor, point clients at it. */
export {
  startApiServer,
  SANDBOX_VERSION,
  type ApiServerOptions,
  type RunningApiServer,
} from "./server.ts";
export {
  kubeconfigFor,
  writeKubeconfig,
  SANDBOX_CONTEXT,
  type KubeconfigOptions,
} from "./kubeconfig.ts";
export { RESOURCES, type ResourceType } from "./registry.ts";
