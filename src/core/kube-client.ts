/**
 * The parts of @kubernetes/client-node this project runs: the kubeconfig and the two API
 * groups it calls (core/v1 and apps/v1). Every value import of the client goes through here
 * (types may still come from the package root: they vanish at build time).
 *
 * Why not the package root: its index re-exports every API group, watch, informer, cp,
 * metrics, portforward and more, and a bundle evaluates all of it at start-up. Imported
 * file by file, a tree-shaking bundler (esbuild) keeps only these classes and what they
 * reach. Measured (bench/code-load.bench.ts, bench/PROFILE.md round 3), that saves nothing
 * today: the generated API classes share one module graph, so esbuild drops the unused
 * groups from a root import too, and ncc (the shipped bundles) keeps everything either way.
 * Kept as the one place the client is loaded from. The package has no `exports` map, so these are paths into its `dist` folder: the
 * version is pinned exactly in package.json, and test/kube/client-deep-imports.test.ts
 * checks that the paths resolve to the same classes as the root and work against the
 * sandbox's API server, so an upgrade that moves them fails a test, not a backup.
 */
export { KubeConfig } from "@kubernetes/client-node/dist/config.js";
export {
  ObjectAppsV1Api as AppsV1Api,
  ObjectCoreV1Api as CoreV1Api,
} from "@kubernetes/client-node/dist/gen/types/ObjectParamAPI.js";
