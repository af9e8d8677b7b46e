/**
 * The shape of the source tree, checked on every run: no import cycle anywhere in src/
 * (a cycle makes load order matter and layers blur: storage and audit used to import each
 * other), src/core free of GitHub Actions (`@actions/*`), and the process environment read
 * in src/core only by run-context.ts, which the front doors build once and pass in.
 *
 * Imports are read with TypeScript's own pre-processor (static, `export ... from`, dynamic
 * `import()`, type-only imports too), so comments and strings do not count.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SOURCE_ROOT = fileURLToPath(new URL("../../src/", import.meta.url));
const CORE_ROOT = path.join(SOURCE_ROOT, "core");
const RUN_CONTEXT = path.join(CORE_ROOT, "run-context.ts");

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Every module name a file imports or re-exports, as written. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.map((imported) => imported.fileName);
}

/** The graph of relative imports between the files, by absolute path. */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(
    files.map((file) => [
      file,
      importsOf(file)
        .filter((name) => name.startsWith("."))
        .map((name) => path.resolve(path.dirname(file), name))
        .filter((target) => known.has(target)),
    ]),
  );
}

/**
 * The cycles of a directed graph, one per strongly connected component of more than one
 * node (or a node importing itself), each given as the path that closes it.
 */
export function findCycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's algorithm, iterative enough for a source tree's depth.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfImport = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfImport) components.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components.map((component) => closingPath(graph, component));
}

/** One path through the component that returns to where it started, for the failure message. */
function closingPath(graph: Map<string, string[]>, component: string[]): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const route = [node];
        while (route[0] !== start) route.unshift(previous.get(route[0]!)!);
        return [...route, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return component;
}

/** `process.env` (or `process["env"]`) in the file's code, with its line; comments do not count. */
function environmentReads(file: string): number[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const lines: number[] = [];
  const visit = (node: ts.Node): void => {
    const isProcess = (expression: ts.Expression) =>
      ts.isIdentifier(expression) && expression.text === "process";
    const readsEnv =
      (ts.isPropertyAccessExpression(node) &&
        isProcess(node.expression) &&
        node.name.text === "env") ||
      (ts.isElementAccessExpression(node) &&
        isProcess(node.expression) &&
        ts.isStringLiteral(node.argumentExpression) &&
        node.argumentExpression.text === "env");
    if (readsEnv) lines.push(source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return lines;
}

const relative = (file: string) => path.relative(SOURCE_ROOT, file);

/**
 * The same graph one level up: each concern of src/core (its folder: storage, audit, ssh...)
 * or file at its root is one node. Two concerns that import each other are one layer.
 */
function concernGraph(files: Map<string, string[]>): Map<string, string[]> {
  const concernOf = (file: string) => path.relative(CORE_ROOT, file).split(path.sep)[0]!;
  const graph = new Map<string, Set<string>>();
  for (const [file, targets] of files) {
    if (!file.startsWith(CORE_ROOT + path.sep)) continue;
    const from = concernOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const target of targets) {
      if (!target.startsWith(CORE_ROOT + path.sep)) continue;
      const to = concernOf(target);
      if (to !== from) edges.add(to);
    }
  }
  return new Map([...graph].map(([concern, edges]) => [concern, [...edges]]));
}

describe("the source tree's layers", () => {
  it("has no import cycle anywhere in src/", () => {
    const cycles = findCycles(importGraph(sourceFiles(SOURCE_ROOT)));
    expect(cycles.map((cycle) => cycle.map(relative).join(" -> "))).toEqual([]);
  });

  it("has no two concerns of src/core that import each other, directly or around a loop", () => {
    const graph = concernGraph(importGraph(sourceFiles(SOURCE_ROOT)));
    // The graph holds the concerns, so an empty answer is about real edges.
    expect([...graph.keys()]).toEqual(expect.arrayContaining(["storage", "audit", "ssh"]));
    expect(findCycles(graph).map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  it("keeps GitHub Actions out of src/core: no @actions/* import", () => {
    const offenders = sourceFiles(CORE_ROOT).flatMap((file) =>
      importsOf(file)
        .filter((name) => name.startsWith("@actions/"))
        .map((name) => `${relative(file)} imports ${name}`),
    );
    expect(offenders).toEqual([]);
  });

  it("reads the process environment in src/core only in run-context.ts", () => {
    const offenders = sourceFiles(CORE_ROOT)
      .filter((file) => file !== RUN_CONTEXT)
      .flatMap((file) => environmentReads(file).map((line) => `${relative(file)}:${line}`));
    expect(offenders).toEqual([]);
    // The one reader is there, so the check above looks at real code.
    expect(environmentReads(RUN_CONTEXT).length).toBeGreaterThan(0);
  });

  it("finds a cycle when there is one (the checker itself)", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
      ["f", ["a"]],
    ]);
    expect(findCycles(graph)).toEqual(
      expect.arrayContaining([
        ["a", "b", "c", "a"],
        ["e", "e"],
      ]),
    );
    expect(findCycles(graph)).toHaveLength(2);
    expect(
      findCycles(
        new Map([
          ["a", ["b"]],
          ["b", []],
        ]),
      ),
    ).toEqual([]);
  });

  it("reads imports and environment reads from code, not from comments", () => {
    const importsOfText = (text: string) =>
      ts.preProcessFile(text, true, true).importedFiles.map((imported) => imported.fileName);
    expect(
      importsOfText(
        '// import x from "./commented.ts";\nimport type { A } from "./a.ts";\nexport { b } from "./b.ts";\nconst c = await import("./c.ts");',
      ),
    ).toEqual(["./a.ts", "./b.ts", "./c.ts"]);
  });
});
